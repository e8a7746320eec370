"""Forms and surveys (OPS-05) on the custom-form engine (custom_forms.py: every question kind, required, skip
logic): open / close, one response per person or not, answered by visitors without an account when public
(rate-limited per address), per-question statistics (choice counts and shares, numbers' average, text answers'
count and latest ones) and the responses as rows for an xlsx export."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from app.core import audit, db, ratelimit
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.ops import access, custom_forms
from app.ops.access import NotFound
from app.ops.registrations import FormErrors

STATUSES = {"draft": L("Draft"), "open": L("Open for answers"), "closed": L("Closed")}
PUBLIC_PER_IP = (20, 3600)


async def get(survey_id: int) -> dict:
    row = await db.fetchrow("SELECT s.*, (SELECT count(*) FROM ops_form_response r WHERE r.form = s.form) AS answers"
                            " FROM ops_survey s WHERE s.id = $1", survey_id)
    if row is None:
        raise NotFound()
    row["status_label"] = str(STATUSES[row["status"]])
    return row


async def create(actor: Actor, values: dict) -> int:
    if not actor.can(access.MANAGE):
        raise access.NotAllowed()
    title = (values.get("title") or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    async with db.transaction():
        form_id = await custom_forms.create_form(actor, title, purpose="survey")
        survey_id = await db.fetchval(
            "INSERT INTO ops_survey (form, title, description, starts_at, ends_at, once, public, created_by,"
            " updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id", form_id, title[:200],
            (values.get("description") or "").strip()[:2000], values.get("starts_at"), values.get("ends_at"),
            bool(values.get("once", True)), bool(values.get("public")), actor.id)
        await audit.record(actor, "create", "ops_survey", survey_id, after={"title": title}, summary=title)
    return survey_id


async def set_status(actor: Actor, survey_id: int, status: str) -> None:
    if not actor.can(access.MANAGE):
        raise access.NotAllowed()
    survey = await get(survey_id)
    allowed = {"open": ("draft", "closed"), "closed": ("open",)}
    if status not in allowed or survey["status"] not in allowed[status]:
        raise Conflict(_("That is not possible now."))
    if status == "open" and not await custom_forms.questions(survey["form"]):
        raise Conflict(_("Add at least one question first."))
    async with db.transaction():
        await db.execute("UPDATE ops_survey SET status = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         survey_id, status, actor.id)
        await audit.record(actor, status, "ops_survey", survey_id, before={"status": survey["status"]},
                           after={"status": status}, summary=survey["title"])


async def answered(user_id: int | None, survey: dict) -> bool:
    return user_id is not None and bool(await db.fetchval(
        "SELECT 1 FROM ops_form_response WHERE form = $1 AND \"user\" = $2 LIMIT 1", survey["form"], user_id))


async def submit(actor: Actor, survey_id: int, data: dict, ip: str = "") -> int:
    """One response; FormErrors for field messages, Conflict when closed, already answered or rate-limited."""
    survey = await get(survey_id)
    now = datetime.now(UTC)
    if survey["status"] != "open" or (survey["starts_at"] and now < survey["starts_at"]) \
            or (survey["ends_at"] and now > survey["ends_at"]):
        raise Conflict(_("This form is not open now."))
    if actor.id is None:
        if not survey["public"]:
            raise access.NotAllowed()
        if ip and not await ratelimit.allow("ops.survey.ip", ip, *PUBLIC_PER_IP):
            raise Conflict(_("Too many answers from your network. Try again later."))
    filled = await custom_forms.check(await custom_forms.questions(survey["form"]), data)
    if filled.form.errors:
        raise FormErrors(filled.form)
    async with db.transaction():
        if actor.id is not None:
            await db.execute("SELECT pg_advisory_xact_lock($1::int, $2::int)", 900_000 + survey_id % 1_000_000,
                             actor.id)
            if survey["once"] and await answered(actor.id, survey):
                raise Conflict(_("You have already answered this form."))
        response_id = await custom_forms.store(survey["form"], actor.id, filled)
        await audit.record(actor, "answer", "ops_survey", survey_id, after={"response": response_id, "ip": ip},
                           summary=survey["title"])
    return response_id


async def statistics(survey_id: int) -> list[dict]:
    """Per question: {"question", "kind", "answered", "items": [{"label", "value", "share"}] (choices), "average"
    (numbers), "latest": [text …] (texts)} — computed in SQL over the jsonb answers."""
    survey = await get(survey_id)
    out = []
    for q in await custom_forms.questions(survey["form"]):
        entry = {"question": q.label, "kind": q.kind, "key": q.key}
        answered_n = await db.fetchval("SELECT count(*) FROM ops_form_response WHERE form = $1 AND answers ? $2"
                                       " AND answers -> $2 <> 'null'::jsonb", survey["form"], q.key)
        entry["answered"] = answered_n
        if q.kind in custom_forms.CHOICE_KINDS:
            rows = await db.fetch(
                "SELECT v AS label, count(*) AS n FROM ops_form_response r, jsonb_array_elements_text(CASE WHEN"
                " jsonb_typeof(r.answers -> $2) = 'array' THEN r.answers -> $2 ELSE jsonb_build_array(r.answers ->> $2)"
                " END) v WHERE r.form = $1 AND r.answers -> $2 <> 'null'::jsonb GROUP BY v", survey["form"], q.key)
            counts = {r["label"]: r["n"] for r in rows}
            entry["items"] = [{"label": o, "value": counts.get(o, 0),
                               "share": round(100 * counts.get(o, 0) / answered_n) if answered_n else 0}
                              for o in q.options]
        elif q.kind == "number":
            entry["average"] = await db.fetchval(
                "SELECT round(avg((answers ->> $2)::numeric), 2) FROM ops_form_response WHERE form = $1"
                " AND jsonb_typeof(answers -> $2) = 'number'", survey["form"], q.key)
        elif q.kind in ("text", "textarea"):
            entry["latest"] = [r["t"] for r in await db.fetch(
                "SELECT answers ->> $2 AS t FROM ops_form_response WHERE form = $1 AND coalesce(answers ->> $2, '')"
                " <> '' ORDER BY id DESC LIMIT 5", survey["form"], q.key)]
        out.append(entry)
    return out


async def export_rows(survey_id: int) -> tuple[list[tuple[str, str]], list[dict]]:
    survey = await get(survey_id)
    items = await custom_forms.questions(survey["form"])
    columns = [("submitted_at", _("Submitted")), ("who", _("Account"))] + [(f"q_{q.key}", q.label) for q in items]
    rows = await db.fetch("SELECT r.answers, r.submitted_at, u.username FROM ops_form_response r LEFT JOIN app_user u"
                          " ON u.id = r.\"user\" WHERE r.form = $1 ORDER BY r.id", survey["form"])
    out = []
    for row in rows:
        answers = json.loads(row["answers"]) if isinstance(row["answers"], str) else dict(row["answers"] or {})
        line = {"submitted_at": row["submitted_at"], "who": row["username"] or ""}
        for (_label, text), q in zip(custom_forms.display(items, answers), items, strict=True):
            line[f"q_{q.key}"] = text
        out.append(line)
    return columns, out

"""Applications to join the pool (EXP-01, EXP-10, EXP-12): the phone is proved by a code first (it then
finds the applicant's draft again: save and resume from any device), three steps saved as a draft, the email
proved by a code, submit; then each configured approval level decides; the last approval makes a formal expert
with an account (the phone logs in by SMS code) and the result goes out by SMS and email."""
from __future__ import annotations

import json
from datetime import date

from app.config import get_settings
from app.core import audit, db, notify, phones, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.experts import approvals, codes, experts, recommendations

STEPS = {
    1: ("name", "gender", "birth_date", "email"),
    2: ("employer", "title", "specialty", "industry", "region", "postcode", "expert_type", "fields"),
    3: (),
}
LAST_STEP = 3
TODO_KIND = "exp.application"


class NotFound(Exception):
    pass


def applicant(phone: str, ip: str = "") -> Actor:
    return Actor(None, f"applicant {phone}", ip)


async def request_phone_code(phone: str, ip: str = "") -> str:
    phone = phones.or_invalid(phone)
    if other := await experts.phone_taken(phone):
        if other["status"] == "blacklisted":
            raise Invalid("phone", _("This phone number cannot apply to the expert pool."))
        raise Invalid("phone", _("This phone number already belongs to an expert of the pool: log in instead."))
    await codes.send("sms", phone, ip)
    return phone


async def open_with_code(phone: str, code: str, ip: str = "", recommendation: str = "") -> int:
    """The applicant's live application (draft or pending) for this proved phone, or a new draft."""
    phone = phones.or_invalid(phone)
    await codes.check(phone, code)
    rec = await recommendations.resolve(recommendation) if recommendation else None
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('exp_app:' || $1))", phone)
        row = await db.fetchrow("SELECT id FROM exp_application WHERE phone = $1 AND status IN ('draft', 'pending')",
                                phone)
        if row:
            return row["id"]
        data = {"name": rec["name"], "email": rec["email"]} if rec else {}
        app_id = await db.fetchval(
            "INSERT INTO exp_application (phone, email, data, recommended_by) VALUES ($1, $2, $3::jsonb, $4)"
            " RETURNING id", phone, data.get("email", ""), json.dumps(data, ensure_ascii=False),
            rec["recommender"] if rec else None)
        if rec:
            await db.execute("UPDATE exp_recommendation SET application = $2 WHERE id = $1", rec["id"], app_id)
        await audit.record(applicant(phone, ip), "create", "exp_application", app_id, summary=phone,
                           after={"phone": phone, "recommended_by": rec["recommender"] if rec else None})
    return app_id


async def get(app_id: int) -> dict:
    row = await db.fetchrow(
        "SELECT a.*, r.name AS recommender_name, r.number AS recommender_number FROM exp_application a"
        " LEFT JOIN exp_expert r ON r.id = a.recommended_by WHERE a.id = $1", app_id)
    if row is None:
        raise NotFound()
    row["data"] = json.loads(row["data"]) if isinstance(row["data"], str) else (row["data"] or {})
    return row


def _partial(step: int, data: dict) -> dict:
    """The values of one step, checked as far as they go on their own."""
    values = {k: data.get(k) for k in STEPS[step]}
    if step == 1:
        trial = experts.clean({**values, "phone": "13800000000"})
        return {k: (trial[k].isoformat() if k == "birth_date" and trial[k] else trial[k]) for k in STEPS[1]}
    if step == 2:
        trial = experts.clean({**values, "name": "x", "phone": "13800000000"})
        return {k: trial[k] for k in STEPS[2]}
    return {}


async def save_step(app_id: int, step: int, data: dict, ip: str = "") -> dict:
    """Keep one step's answers in the draft (nothing is lost when the applicant leaves). Raises Invalid."""
    if step not in STEPS:
        raise NotFound()
    async with db.transaction():
        row = await get(app_id)
        if row["status"] != "draft":
            raise Conflict(_("This application was already submitted."))
        values = _partial(step, data)
        merged = {**row["data"], **values}
        email = merged.get("email") or ""
        await db.execute("UPDATE exp_application SET data = $2::jsonb, email = $3::varchar,"
                         " step = GREATEST(step, $4),"
                         " email_verified = CASE WHEN email_verified = $3::varchar THEN email_verified ELSE '' END,"
                         " updated_at = now() WHERE id = $1", app_id, json.dumps(merged, ensure_ascii=False), email,
                         min(step + 1, LAST_STEP))
        await audit.record(applicant(row["phone"], ip), "update", "exp_application", app_id,
                           summary=f"step {step}", after=values)
    return merged


async def send_email_code(app_id: int, ip: str = "") -> None:
    row = await get(app_id)
    if not row["email"]:
        raise Invalid("email_code", _("Enter your email address in step 1 first."))
    await codes.send("email", row["email"], ip, field="email_code")


async def verify_email(app_id: int, code: str, ip: str = "") -> None:
    row = await get(app_id)
    if not row["email"]:
        raise Invalid("email_code", _("Enter your email address in step 1 first."))
    await codes.check(row["email"], code, "email_code")
    async with db.transaction():
        await db.execute("UPDATE exp_application SET email_verified = email, updated_at = now() WHERE id = $1", app_id)
        await audit.record(applicant(row["phone"], ip), "verify_email", "exp_application", app_id,
                           summary=row["email"])


def _todo_ref(app_id: int) -> str:
    return f"exp.application:{app_id}"


async def _open_level_todo(app_id: int, name: str, level: int) -> None:
    permission = (await approvals.chain())[level]
    await todos.open_todo(TODO_KIND, _todo_ref(app_id), _("Expert application: %(name)s", name=name),
                          f"/admin/experts/applications/{app_id}", permission)


async def submit(app_id: int, ip: str = "") -> None:
    """Check every step and hand the application to the first approval level."""
    async with db.transaction():
        row = await get(app_id)
        if row["status"] != "draft":
            raise Conflict(_("This application was already submitted."))
        values = experts.clean({**row["data"], "phone": row["phone"]})
        if not values["email"]:
            raise Invalid("email", _("Enter your email address in step 1."))
        if row["email_verified"] != values["email"]:
            raise Invalid("email_code", _("Confirm your email address with the code we send to it."))
        if not values["fields"]:
            raise Invalid("fields", _("Choose at least one field of expertise in step 2."))
        if other := await experts.phone_taken(row["phone"]):
            raise Invalid("phone", experts.duplicate_message(other))
        await db.execute("UPDATE exp_application SET status = 'pending', level = 0, submitted_at = now(),"
                         " updated_at = now() WHERE id = $1", app_id)
        await _open_level_todo(app_id, values["name"], 0)
        await audit.record(applicant(row["phone"], ip), "submit", "exp_application", app_id, summary=values["name"])


async def queue(actor: Actor, status: str = "pending") -> list[dict]:
    """Applications in one status, with the level they wait at and whether this actor may decide it."""
    chain = await approvals.chain()
    rows = await db.fetch("SELECT a.id, a.phone, a.data->>'name' AS name, a.data->>'employer' AS employer,"
                          " a.status, a.level, a.submitted_at, a.recommended_by, r.name AS recommender_name"
                          " FROM exp_application a LEFT JOIN exp_expert r ON r.id = a.recommended_by"
                          " WHERE a.status = $1 ORDER BY a.submitted_at NULLS LAST, a.id LIMIT 500", status)
    for r in rows:
        permission = chain[min(r["level"], len(chain) - 1)]
        r["level_name"] = approvals.level_name(permission)
        r["mine"] = r["status"] == "pending" and actor.can(permission)
        r["phone"] = experts.masked(actor, r)["phone"]
    return rows


async def decisions(app_id: int) -> list[dict]:
    return await db.fetch("SELECT p.level, p.level_name, p.decision, p.note, p.created_at, u.name AS reviewer_name,"
                          " u.username FROM exp_approval p LEFT JOIN app_user u ON u.id = p.reviewer"
                          " WHERE p.application = $1 ORDER BY p.created_at, p.id", app_id)


async def decide(actor: Actor, app_id: int, approve: bool, note: str = "") -> int | None:
    """One level's decision. A rejection ends it; the last approval creates the expert (returns its id)."""
    note = (note or "").strip()[:500]
    if not approve and not note:
        raise Invalid("note", _("Give a reason for the rejection."))
    chain = await approvals.chain()
    expert_id = None
    async with db.transaction():
        row = await get(app_id)
        await db.execute("SELECT 1 FROM exp_application WHERE id = $1 FOR UPDATE", app_id)
        if row["status"] != "pending":
            raise Conflict(_("This application is not waiting for a decision."))
        level = min(row["level"], len(chain) - 1)
        if not actor.can(chain[level]):
            raise Conflict(_("This application waits for %(level)s.", level=approvals.level_name(chain[level])))
        await db.execute("INSERT INTO exp_approval (application, level, level_name, decision, note, reviewer)"
                         " VALUES ($1,$2,$3,$4,$5,$6)", app_id, level, chain[level], "approve" if approve else "reject",
                         note, actor.id)
        await todos.close_todo(_todo_ref(app_id), actor.id)
        name = row["data"].get("name", "")
        if approve and level + 1 < len(chain):
            await db.execute("UPDATE exp_application SET level = $2, updated_at = now() WHERE id = $1", app_id,
                             level + 1)
            await _open_level_todo(app_id, name, level + 1)
        else:
            if approve:
                expert_id = await _make_expert(actor, row)
            await db.execute("UPDATE exp_application SET status = $2, decided_at = now(), expert = $3,"
                             " updated_at = now() WHERE id = $1", app_id, "approved" if approve else "rejected",
                             expert_id)
            await _send_result(row, approve, note)
        await audit.record(actor, "approve" if approve else "reject", "exp_application", app_id, summary=name,
                           after={"level": level, "note": note, "expert": expert_id})
    return expert_id


async def _make_expert(actor: Actor, row: dict) -> int:
    from app.support import users

    accounts = await users.find_by_phone(row["phone"])
    user_id = accounts[0]["id"] if accounts else await users.create_for_phone(row["phone"], actor.ip)
    return await experts.create(actor, {**row["data"], "phone": row["phone"]},
                                source="recommend" if row["recommended_by"] else "apply",
                                recommended_by=row["recommended_by"], user_id=user_id)


async def _send_result(row: dict, approved: bool, note: str) -> None:
    data = {"name": row["data"].get("name", ""), "result": approvals.result_word(approved), "note": note,
            "link": f"{get_settings().public_url()}/h5/expert" if approved else ""}
    await notify.notify_address("sms", row["phone"], approvals.RESULT_TEMPLATE, data)
    if row["email"]:
        await notify.notify_address("email", row["email"], approvals.RESULT_TEMPLATE, data)


def today() -> date:
    return date.today()

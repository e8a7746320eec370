"""Events (OPS-02, OPS-03, CLS-05): categories, the event itself (owner HQ, an org or a class; time, place, a
sanitised rich description, signup window, approval and verified-only rules, seating, reminder offsets) and its
life: draft → published → closed / cancelled. An alumnus's own event for an org or class waits for the owner's
admins when the org's rule says so (pending → published / rejected, with a todo)."""
from __future__ import annotations

import json
from datetime import datetime

from app.content import api as content
from app.core import audit, db, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.ops import access, custom_forms
from app.ops.access import NotFound

STATUSES = {"draft": L("Draft"), "pending": L("Waiting for approval"), "published": L("Published"),
            "closed": L("Closed"), "cancelled": L("Cancelled"), "rejected": L("Rejected")}
SEATING = {"none": L("No seats"), "seat": L("Numbered seats"), "table": L("Tables")}
TITLE_MAX, SUMMARY_MAX, PLACE_MAX = 200, 500, 200
TODO_KIND = "ops.event.approval"

COLUMNS = ("e.*, c.name AS category_name,"
           " (SELECT count(*) FROM ops_registration r WHERE r.event = e.id AND r.status = 'confirmed') AS confirmed,"
           " (SELECT count(*) FROM ops_registration r WHERE r.event = e.id AND r.status = 'waitlisted') AS waiting,"
           " (SELECT count(*) FROM ops_registration r WHERE r.event = e.id AND r.checked_in_at IS NOT NULL)"
           " AS checked_in,"
           " (SELECT COALESCE(sum(t.quota), 0) FROM ops_ticket_type t WHERE t.event = e.id) AS capacity")


# --- categories ------------------------------------------------------------------------------------

async def categories(enabled_only: bool = False) -> list[dict]:
    where = " WHERE enabled" if enabled_only else ""
    return await db.fetch(f"SELECT * FROM ops_category{where} ORDER BY sort, id")


async def save_category(actor: Actor, name: str, sort: int = 0, enabled: bool = True,
                        category_id: int | None = None) -> int:
    if not actor.can(access.MANAGE):
        raise access.NotAllowed()
    name = (name or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    if len(name) > 60:
        raise Invalid("name", _("At most %(n)s characters.", n=60))
    if await db.fetchval("SELECT 1 FROM ops_category WHERE name = $1 AND id IS DISTINCT FROM $2", name, category_id):
        raise Invalid("name", _("A category with this name exists."))
    async with db.transaction():
        if category_id:
            before = await db.fetchrow("SELECT name, sort, enabled FROM ops_category WHERE id = $1", category_id)
            if before is None:
                raise NotFound()
            await db.execute("UPDATE ops_category SET name = $2, sort = $3, enabled = $4, updated_at = now(),"
                             " updated_by = $5 WHERE id = $1", category_id, name, sort, enabled, actor.id)
            await audit.record(actor, "update", "ops_category", category_id, before=dict(before),
                               after={"name": name, "sort": sort, "enabled": enabled}, summary=name)
            return category_id
        new_id = await db.fetchval("INSERT INTO ops_category (name, sort, enabled, created_by, updated_by)"
                                   " VALUES ($1, $2, $3, $4, $4) RETURNING id", name, sort, enabled, actor.id)
        await audit.record(actor, "create", "ops_category", new_id, after={"name": name}, summary=name)
        return new_id


# --- events --------------------------------------------------------------------------------------

def _clean(values: dict) -> dict:
    out: dict = {}
    title = (values.get("title") or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    if len(title) > TITLE_MAX:
        raise Invalid("title", _("At most %(n)s characters.", n=TITLE_MAX))
    out["title"] = title
    out["summary"] = (values.get("summary") or "").strip()[:SUMMARY_MAX]
    out["place"] = (values.get("place") or "").strip()[:PLACE_MAX]
    out["body_html"] = content.sanitize_rich_html(values.get("body_html") or "")
    for name in ("starts_at", "ends_at", "signup_opens", "signup_closes"):
        value = values.get(name)
        if value is not None and not isinstance(value, datetime):
            raise Invalid(name, _("Enter a date and time."))
        out[name] = value
    if out["starts_at"] is None:
        raise Invalid("starts_at", _("This field is required."))
    out["ends_at"] = out["ends_at"] or out["starts_at"]
    if out["ends_at"] < out["starts_at"]:
        raise Invalid("ends_at", _("The end is before the start."))
    if out["signup_opens"] and out["signup_closes"] and out["signup_closes"] <= out["signup_opens"]:
        raise Invalid("signup_closes", _("Signup closes before it opens."))
    if out["signup_closes"] and out["signup_closes"] > out["ends_at"]:
        raise Invalid("signup_closes", _("Signup must close before the event ends."))
    out["category"] = values.get("category") or None
    out["needs_approval"] = bool(values.get("needs_approval"))
    out["verified_only"] = bool(values.get("verified_only"))
    seating = values.get("seating") or "none"
    if seating not in SEATING:
        raise Invalid("seating", _("Choose from the list."))
    out["seating"] = seating
    out["table_size"] = max(2, min(50, int(values.get("table_size") or 10)))
    reminders = values.get("reminder_minutes")
    if reminders is None:
        reminders = [1440, 120]
    if isinstance(reminders, str):
        try:
            reminders = [int(x) for x in reminders.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            raise Invalid("reminder_minutes", _("Minutes before the start, separated by commas (e.g. 1440, 120).")) \
                from None
    if any(m <= 0 or m > 60 * 24 * 30 for m in reminders) or len(reminders) > 5:
        raise Invalid("reminder_minutes", _("Up to five reminders, each 1 minute to 30 days before the start."))
    out["reminder_minutes"] = sorted(set(reminders), reverse=True)
    return out


async def create_event(actor: Actor, owner: tuple[str, int], values: dict) -> int:
    """A new event. Organisers (access.may_manage) get a draft; an alumnus proposing one for their org or class
    (access.may_initiate) gets it pending when the org's rule asks for approval, else published."""
    owner = (owner[0], int(owner[1]))
    if owner[0] not in access.OWNER_KINDS:
        raise Invalid("owner", _("Choose from the list."))
    organiser = await access.may_manage(actor, owner)
    if not organiser and not await access.may_initiate(actor, owner):
        raise access.NotAllowed()
    fields = _clean(values)
    status = "draft"
    if not organiser:
        status = "pending" if await _needs_approval(owner) else "published"
    async with db.transaction():
        form_id = await custom_forms.create_form(actor, fields["title"])
        event_id = await db.fetchval(
            "INSERT INTO ops_event (owner_kind, owner_id, category, title, summary, body_html, place, starts_at,"
            " ends_at, signup_opens, signup_closes, status, needs_approval, verified_only, form, seating, table_size,"
            " reminder_minutes, initiator, published_at, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7,"
            " $8, $9, $10, $11, $12::varchar, $13, $14, $15, $16, $17, $18::jsonb, $19,"
            " CASE WHEN $12::varchar = 'published' THEN now() END, $20, $20) RETURNING id",
            owner[0], owner[1], fields["category"], fields["title"], fields["summary"], fields["body_html"],
            fields["place"], fields["starts_at"], fields["ends_at"], fields["signup_opens"], fields["signup_closes"],
            status, fields["needs_approval"], fields["verified_only"], form_id, fields["seating"],
            fields["table_size"], json.dumps(fields["reminder_minutes"]), actor.id, actor.id)
        await db.execute("INSERT INTO ops_ticket_type (event, name, kind, quota, created_by, updated_by)"
                         " VALUES ($1, $2, 'free', 100, $3, $3)", event_id, _("Admission"), actor.id)
        await audit.record(actor, "create", "ops_event", event_id, after={**fields, "status": status,
                           "owner": f"{owner[0]}:{owner[1]}"}, summary=fields["title"])
        if status == "pending":
            await todos.open_todo(TODO_KIND, f"ops_event:{event_id}", _("Event to approve: %(title)s",
                                  title=fields["title"]), f"/admin/ops/events/{event_id}", access.MANAGE)
    return event_id


async def _needs_approval(owner: tuple[str, int]) -> bool:
    """OPS-03: an org's own rule (event_approval); class events from members always need their liaisons."""
    if owner[0] == "org":
        from app.orgs import api as orgs  # the org's rule; ops sits beside orgs, reaching it only via its api

        try:
            return bool((await orgs.org_summary(owner[1]))["event_approval"])
        except orgs.NotFound:
            raise Invalid("owner", _("That organization does not exist.")) from None
    return True


async def get_event(event_id: int) -> dict:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM ops_event e LEFT JOIN ops_category c ON c.id = e.category"
                            " WHERE e.id = $1", event_id)
    if row is None:
        raise NotFound()
    return _shape(row)


def _shape(row: dict) -> dict:
    row["owner"] = (row["owner_kind"], row["owner_id"])
    raw = row.get("reminder_minutes")
    row["reminder_minutes"] = json.loads(raw) if isinstance(raw, str) else list(raw or [])
    row["status_label"] = str(STATUSES.get(row["status"], row["status"]))
    row["url"] = f"/h5/events/{row['id']}"
    return row


async def managed_event(actor: Actor, event_id: int) -> dict:
    event = await get_event(event_id)
    await access.require_manage(actor, event)
    return event


async def update_event(actor: Actor, event_id: int, values: dict) -> None:
    async with db.transaction():
        before = await managed_event(actor, event_id)
        if before["status"] in ("closed", "cancelled"):
            raise Conflict(_("A closed or cancelled event cannot be changed."))
        fields = _clean(values)
        sets = ", ".join(f"{k} = ${i + 2}" + ("::jsonb" if k == "reminder_minutes" else "")
                         for i, k in enumerate(fields))
        args = [json.dumps(v) if k == "reminder_minutes" else v for k, v in fields.items()]
        await db.execute(f"UPDATE ops_event SET {sets}, updated_at = now(), updated_by = ${len(fields) + 2}"
                         " WHERE id = $1", event_id, *args, actor.id)
        changed = audit.changed({k: before[k] for k in fields}, fields)
        await audit.record(actor, "update", "ops_event", event_id, before={k: before[k] for k in changed},
                           after={k: fields[k] for k in changed}, summary=fields["title"])


async def set_status(actor: Actor, event_id: int, status: str, reason: str = "") -> None:
    """publish (draft/rejected → published), approve / reject (pending), close, cancel."""
    async with db.transaction():
        event = await managed_event(actor, event_id)
        allowed = {"published": ("draft", "pending", "rejected", "closed"), "rejected": ("pending",),
                   "closed": ("published",), "cancelled": ("draft", "pending", "published")}
        if status not in allowed or event["status"] not in allowed[status]:
            raise Conflict(_("The event is %(status)s: that is not possible now.", status=event["status_label"]))
        if status == "rejected" and not (reason or "").strip():
            raise Invalid("reason", _("Give a reason."))
        await db.execute("UPDATE ops_event SET status = $2::varchar, reject_reason = $3, published_at = CASE WHEN"
                         " $2::varchar = 'published' THEN COALESCE(published_at, now()) ELSE published_at END,"
                         " updated_at = now(),"
                         " updated_by = $4 WHERE id = $1", event_id, status, (reason or "").strip()[:300], actor.id)
        await audit.record(actor, status if status != "published" else "publish", "ops_event", event_id,
                           before={"status": event["status"]}, after={"status": status, "reason": reason},
                           summary=event["title"])
        if event["status"] == "pending":
            await todos.close_todo(f"ops_event:{event_id}", actor.id)


async def list_events(*, owner: tuple[str, int] | None = None, status: str | None = None, category: int | None = None,
                      q: str = "", upcoming: bool = False, req: PageRequest | None = None) -> Page:
    req = req or PageRequest()
    where, args = ["TRUE"], []
    if owner:
        args += [owner[0], owner[1]]
        where.append(f"e.owner_kind = ${len(args) - 1} AND e.owner_id = ${len(args)}")
    if status:
        args.append(status)
        where.append(f"e.status = ${len(args)}")
    if category:
        args.append(category)
        where.append(f"e.category = ${len(args)}")
    if q:
        args.append(f"%{q}%")
        where.append(f"(e.title ILIKE ${len(args)} OR e.place ILIKE ${len(args)})")
    if upcoming:
        where.append("e.ends_at >= now()")
    sql_where = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM ops_event e WHERE {sql_where}", *args)
    order = "e.starts_at" if upcoming else "e.starts_at DESC"
    rows = await db.fetch(f"SELECT {COLUMNS} FROM ops_event e LEFT JOIN ops_category c ON c.id = e.category"
                          f" WHERE {sql_where} ORDER BY {order}, e.id DESC LIMIT {req.per_page} OFFSET {req.offset}",
                          *args)
    return Page([_shape(r) for r in rows], total, req.page, req.per_page)


async def owner_events(owner: tuple[str, int], limit: int = 5) -> list[dict]:
    """Published events of an org or class, newest first (the micro-site's and class page's events section)."""
    rows = await db.fetch("SELECT id, title, starts_at, place FROM ops_event WHERE owner_kind = $1 AND owner_id = $2"
                          " AND status IN ('published', 'closed') ORDER BY starts_at DESC LIMIT $3",
                          owner[0], owner[1], limit)
    return [{"title": r["title"], "url": f"/h5/events/{r['id']}", "starts_at": r["starts_at"], "place": r["place"]}
            for r in rows]

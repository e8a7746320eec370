"""Invitations of experts to projects (EXP-04, EXP-05): the office (or the reviews module through api.py) invites
an expert to a project with its files; the expert is told by SMS, email and in-site message with a signed link,
accepts or declines on the phone, and may leave an accepted project until `experts.leave_hours` (default 2)
before it opens. A deleted or blacklisted expert cannot accept: refused with a message, and audited."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.config import get_settings
from app.core import audit, db, notify, settings_store, uploads
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.permissions import Scope
from app.core.security import TokenExpired, TokenInvalid, sign, unsign
from app.core.storage import storage
from app.experts import experts

LEAVE_SETTING = "experts.leave_hours"
settings_store.DEFAULTS.setdefault(LEAVE_SETTING, 2)
STATUSES = ("invited", "accepted", "declined", "left", "cancelled", "attended")
LIVE = ("invited", "accepted", "attended")
STATUS_LABELS = {"invited": L("Waiting for an answer"), "accepted": L("Accepted"), "declined": L("Declined"),
                 "left": L("Left"), "cancelled": L("Cancelled"), "attended": L("Attended")}
FEE_LABELS = {"pending": L("Waiting for the expert's signature"), "confirmed": L("Confirmed"),
              "disputed": L("Disputed"), "paid": L("Paid")}
LINK_PURPOSE = "exp.invitation"
LINK_DAYS = 60
INVITE_TEMPLATE = "exp_invitation"
REMINDER_TEMPLATE = "exp_invitation_reminder"
CANCEL_TEMPLATE = "exp_invitation_cancelled"
INLINE_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                "gif": "image/gif"}

notify.DEFAULT_TEMPLATES.setdefault(INVITE_TEMPLATE, (L("Expert invitation"), {
    "sms": (L("Review invitation"),
            L("{{ name }}, you are invited to review {{ project }} ({{ opens_at }}, {{ place }}). Answer: {{ link }}")),
    "email": (L("Invitation: {{ project }}"),
              L("Hello {{ name }},\n\nyou are invited to review {{ project }}.\nOpens: {{ opens_at }}\n"
                "Place: {{ place }}\n\nAccept or decline here: {{ link }}")),
    "inbox": (L("Invitation: {{ project }}"), L("You are invited to review {{ project }} ({{ opens_at }}).")),
}))
notify.DEFAULT_TEMPLATES.setdefault(REMINDER_TEMPLATE, (L("Expert invitation reminder"), {
    "sms": (L("Invitation reminder"),
            L("{{ name }}, please answer the invitation to {{ project }} ({{ opens_at }}): {{ link }}")),
    "inbox": (L("Please answer: {{ project }}"), L("The project {{ project }} opens at {{ opens_at }}.")),
}))
notify.DEFAULT_TEMPLATES.setdefault(CANCEL_TEMPLATE, (L("Expert invitation cancelled"), {
    "sms": (L("Invitation cancelled"), L("{{ name }}, the review of {{ project }} ({{ opens_at }}) is cancelled.")),
    "inbox": (L("Cancelled: {{ project }}"), L("The review of {{ project }} ({{ opens_at }}) is cancelled.")),
}))


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class InvitationFilters:
    status: str = ""
    project: str = ""
    expert: str = ""

    @classmethod
    def from_query(cls, params) -> InvitationFilters:
        status = params.get("status") or ""
        return cls(status=status if status in STATUSES else "", project=(params.get("project") or "").strip()[:100],
                   expert=(params.get("expert") or "").strip()[:100])


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def link_for(invitation_id: int) -> str:
    """The signed link in the messages: opens the invitation on the phone (after login)."""
    return f"{get_settings().public_url()}/h5/expert/invitations/open/{sign(LINK_PURPOSE, invitation_id)}"


def id_from_link(token: str) -> int | None:
    try:
        return int(unsign(LINK_PURPOSE, token, max_age=LINK_DAYS * 86400))
    except (TokenInvalid, TokenExpired, ValueError, TypeError):
        return None


def _row(row: dict | None) -> dict:
    if row is None:
        raise NotFound()
    row["files"] = json.loads(row["files"]) if isinstance(row["files"], str) else (row["files"] or [])
    row["status_label"] = str(STATUS_LABELS.get(row["status"], row["status"]))
    if row.get("fee_status"):
        row["fee_label"] = str(FEE_LABELS.get(row["fee_status"], row["fee_status"]))
    return row


SELECT = ("SELECT i.*, e.name AS expert_name, e.number AS expert_number, e.status AS expert_status,"
          " e.\"user\" AS expert_user, d.name AS department_name, f.status AS fee_status,"
          " f.amount_cents AS fee_cents FROM exp_invitation i JOIN exp_expert e ON e.id = i.expert"
          " LEFT JOIN org_node d ON d.id = i.department LEFT JOIN exp_fee f ON f.invitation = i.id")


async def get(invitation_id: int, *, expert_id: int | None = None, scope: Scope | None = None) -> dict:
    """One invitation; with `expert_id`, only if it is that expert's own; with `scope`, only if the office user's
    data scope covers its department (or they sent it). Else NotFound."""
    args: list = [invitation_id]
    where = scope.sql("i.department", "i.invited_by", args) if scope is not None else "TRUE"
    row = _row(await db.fetchrow(f"{SELECT} WHERE i.id = $1 AND {where}", *args))
    if expert_id is not None and row["expert"] != expert_id:
        raise NotFound()
    return row


async def store_files(files: list) -> list[dict]:
    """Checked and stored uploads: (file name, bytes) pairs or StoredFile; returns the `files` column's items."""
    out = []
    for item in files or []:
        stored = item if isinstance(item, uploads.StoredFile) else await uploads.save(item[0], item[1], field="files")
        out.append({"key": stored.key, "name": stored.name, "size": stored.size})
    return out


def _drop_files(files: list[dict]) -> None:
    for f in files:
        storage().delete(f["key"])


async def invite(actor: Actor, expert_id: int, project_ref: str, title: str, opens_at: datetime,
                 department: int | None = None, place: str = "", files: list | None = None) -> int:
    """Invite one expert (formal only) to one project: one live invitation per expert and project. The expert
    hears of it by SMS, email and in-site message with a signed link."""
    title, project_ref, place = (title or "").strip(), (project_ref or "").strip(), (place or "").strip()
    if not title:
        raise Invalid("project_title", _("This field is required."))
    if len(title) > 200 or len(place) > 200 or len(project_ref) > 64:
        raise Invalid("project_title" if len(title) > 200 else "place" if len(place) > 200 else "project_ref",
                      _("At most %(n)s characters.", n=64 if len(project_ref) > 64 else 200))
    if opens_at.tzinfo is None:
        opens_at = opens_at.astimezone()
    if opens_at <= datetime.now(UTC):
        raise Invalid("opens_at", _("The project must open in the future."))
    if not await experts.is_drawable(expert_id):
        raise Invalid("expert", _("Deleted or blacklisted experts cannot be invited."))
    if department is not None and not await db.fetchval("SELECT 1 FROM org_node WHERE id = $1", department):
        raise Invalid("department", _("Choose from the list."))
    stored = await store_files(files or [])
    try:
        async with db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(hashtext('exp_invite:' || $1::bigint::text || ':'"
                             " || $2::text))", expert_id, project_ref)
            if project_ref and await db.fetchval(
                    "SELECT 1 FROM exp_invitation WHERE expert = $1 AND project_ref = $2 AND status = ANY($3)",
                    expert_id, project_ref, list(LIVE)):
                raise Invalid("expert", _("This expert is already invited to this project."))
            invitation_id = await db.fetchval(
                "INSERT INTO exp_invitation (expert, project_ref, project_title, department, opens_at, place, files,"
                " invited_by, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING id",
                expert_id, project_ref or "manual:", title, department, opens_at, place,
                json.dumps(stored, ensure_ascii=False), actor.id, actor.id)
            if not project_ref:  # a project the office entered by hand
                await db.execute("UPDATE exp_invitation SET project_ref = 'manual:' || id WHERE id = $1",
                                 invitation_id)
            await audit.record(actor, "invite", "exp_invitation", invitation_id, summary=title,
                               after={"expert": expert_id, "project_ref": project_ref, "opens_at": opens_at,
                                      "files": [f["name"] for f in stored]})
            await _tell(await get(invitation_id), INVITE_TEMPLATE, ("sms", "email"))
    except BaseException:
        _drop_files(stored)
        raise
    return invitation_id


async def _tell(row: dict, template: str, address_channels: tuple[str, ...]) -> None:
    """SMS / email to the expert's own contact data, the in-site message to their account."""
    expert = await db.fetchrow("SELECT name, phone, email, \"user\" FROM exp_expert WHERE id = $1", row["expert"])
    data = {"name": expert["name"], "project": row["project_title"], "opens_at": local_time(row["opens_at"]),
            "place": row["place"], "link": link_for(row["id"])}
    for channel in address_channels:
        address = expert["phone"] if channel == "sms" else expert["email"]
        if address and notify.channel_available(channel):
            await notify.notify_address(channel, address, template, data)
    if expert["user"]:
        await notify.notify([expert["user"]], template, data, ("inbox",), url=f"/h5/expert/invitations/{row['id']}")


async def respond(actor: Actor, invitation_id: int, answer: str, reason: str = "", *, expert_id: int) -> None:
    """The expert's own answer: accept or decline (a reason is asked for a decline)."""
    if answer not in ("accept", "decline"):
        raise ValueError(answer)
    row = await get(invitation_id, expert_id=expert_id)
    reason = (reason or "").strip()[:500]
    if answer == "accept" and not await experts.is_drawable(expert_id):
        # Audited on its own, committed: the refusal below must not take the record with it.
        await audit.record(actor, "accept_refused", "exp_invitation", invitation_id, summary=row["project_title"],
                           after={"expert": expert_id, "expert_status": row["expert_status"]})
        raise Conflict(_("Your expert status does not allow you to accept invitations. Please contact the review"
                         " office."))
    if answer == "decline" and not reason:
        raise Invalid("reason", _("Give a reason."))
    async with db.transaction():
        status = await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1 FOR UPDATE", invitation_id)
        if status != "invited":
            raise Conflict(_("This invitation was already answered."))
        if answer == "accept" and row["opens_at"] <= datetime.now(UTC):
            raise Conflict(_("The project has already opened."))
        new = "accepted" if answer == "accept" else "declined"
        await db.execute("UPDATE exp_invitation SET status = $2, reason = $3, responded_at = now(), updated_at = now(),"
                         " updated_by = $4 WHERE id = $1", invitation_id, new, reason, actor.id)
        await audit.record(actor, answer, "exp_invitation", invitation_id, summary=reason or row["project_title"],
                           before={"status": status}, after={"status": new})


async def leave_hours() -> float:
    try:
        return float(await settings_store.get(LEAVE_SETTING, 2))
    except (TypeError, ValueError):
        return 2.0


async def leave_deadline(row: dict) -> datetime:
    return row["opens_at"] - timedelta(hours=await leave_hours())


async def can_leave(row: dict) -> bool:
    return row["status"] == "accepted" and datetime.now(UTC) < await leave_deadline(row)


async def leave(actor: Actor, invitation_id: int, reason: str, *, expert_id: int) -> None:
    """Leave an accepted project (请假): only until `experts.leave_hours` before it opens."""
    row = await get(invitation_id, expert_id=expert_id)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise Invalid("reason", _("Give a reason."))
    if row["status"] != "accepted":
        raise Conflict(_("Only an accepted invitation can be left."))
    if datetime.now(UTC) >= await leave_deadline(row):
        raise Conflict(_("Leave is possible only until %(hours)s hours before the project opens (%(when)s)."
                         " Please call the review office.", hours=f"{await leave_hours():g}",
                         when=local_time(row["opens_at"])))
    async with db.transaction():
        done = await db.execute("UPDATE exp_invitation SET status = 'left', reason = $2, updated_at = now(),"
                                " updated_by = $3 WHERE id = $1 AND status = 'accepted'", invitation_id, reason,
                                actor.id)
        if not done.endswith(" 1"):
            raise Conflict(_("Only an accepted invitation can be left."))
        await audit.record(actor, "leave", "exp_invitation", invitation_id, summary=reason,
                           before={"status": "accepted"}, after={"status": "left"})


async def _office_change(actor: Actor, invitation_id: int, new: str, allowed: tuple[str, ...], action: str,
                         reason: str = "") -> dict:
    async with db.transaction():
        row = await get(invitation_id)
        status = await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1 FOR UPDATE", invitation_id)
        if status not in allowed:
            raise Conflict(_("Not possible in this state (%(status)s).", status=row["status_label"]))
        await db.execute("UPDATE exp_invitation SET status = $2, reason = CASE WHEN $3::text = '' THEN reason"
                         " ELSE $3::text END, updated_at = now(), updated_by = $4 WHERE id = $1", invitation_id, new,
                         reason[:500], actor.id)
        await audit.record(actor, action, "exp_invitation", invitation_id, summary=reason or row["project_title"],
                           before={"status": status}, after={"status": new})
    return row


async def cancel(actor: Actor, invitation_id: int, reason: str = "") -> None:
    """The office calls the invitation off; an expert who accepted is told."""
    row = await _office_change(actor, invitation_id, "cancelled", ("invited", "accepted"), "cancel",
                               (reason or "").strip())
    async with db.transaction():
        await _tell(row, CANCEL_TEMPLATE, ("sms",))


async def mark_attended(actor: Actor, invitation_id: int) -> None:
    await _office_change(actor, invitation_id, "attended", ("accepted",), "attended")


async def next_opening(expert_id: int) -> datetime | None:
    """When the next project this expert accepted opens (the contact-reveal window; a project that opened in the
    last 24 hours still counts: its review is going on)."""
    return await db.fetchval("SELECT min(opens_at) FROM exp_invitation WHERE expert = $1 AND status = 'accepted'"
                             " AND opens_at > now() - interval '24 hours'", expert_id)


async def of_expert(expert_id: int, req: PageRequest) -> Page:
    """The expert's own list: unanswered first (soonest first), then the rest, newest first."""
    total = await db.fetchval("SELECT count(*) FROM exp_invitation WHERE expert = $1", expert_id)
    rows = await db.fetch(f"{SELECT} WHERE i.expert = $1 ORDER BY (i.status = 'invited') DESC,"
                          " CASE WHEN i.status = 'invited' THEN i.opens_at END ASC, i.opens_at DESC, i.id DESC"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", expert_id)
    return Page([_row(r) for r in rows], total, req.page, req.per_page)


async def invitations_of(expert_id: int, project_ref: str | None = None) -> list[dict]:
    args: list = [expert_id]
    where = "i.expert = $1"
    if project_ref:
        args.append(project_ref)
        where += " AND i.project_ref = $2"
    return [_row(r) for r in await db.fetch(f"{SELECT} WHERE {where} ORDER BY i.opens_at DESC, i.id DESC", *args)]


async def search(filters: InvitationFilters, req: PageRequest, scope: Scope) -> Page:
    """The office's list, limited to its data scope (the invitation's department, or the ones it sent)."""
    args: list = []
    where = [scope.sql("i.department", "i.invited_by", args)]
    if filters.status:
        args.append(filters.status)
        where.append(f"i.status = ${len(args)}")
    if filters.project:
        args.append(f"%{filters.project}%")
        where.append(f"(i.project_title ILIKE ${len(args)} OR i.project_ref ILIKE ${len(args)})")
    if filters.expert:
        args.append(f"%{filters.expert}%")
        cond = f"(e.name ILIKE ${len(args)} OR e.number ILIKE ${len(args)}"
        if filters.expert.isdigit() and len(filters.expert) <= 9:
            args.append(int(filters.expert))
            cond += f" OR e.id = ${len(args)}"
        where.append(cond + ")")
    sql_where = " AND ".join(where)
    total = await db.fetchval("SELECT count(*) FROM exp_invitation i JOIN exp_expert e ON e.id = i.expert"
                              f" WHERE {sql_where}", *args)
    order = req.order_by({"opens": "i.opens_at", "created": "i.created_at"}, "i.opens_at DESC, i.id DESC")
    rows = await db.fetch(f"{SELECT} WHERE {sql_where} {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_row(r) for r in rows], total, req.page, req.per_page, req.sort)


def file_of(row: dict, index: int) -> tuple[dict, bytes, str, bool]:
    """(file item, content, content type, inline?) of the invitation's n-th file; NotFound when there is none."""
    if not 0 <= index < len(row["files"]):
        raise NotFound()
    item = row["files"][index]
    if not storage().exists(item["key"]):
        raise NotFound()
    ext = item["key"].rsplit(".", 1)[-1].lower()
    content_type = INLINE_TYPES.get(ext) or uploads.TEXT_TYPES.get(ext) or "application/octet-stream"
    return item, storage().get(item["key"]), content_type, ext in INLINE_TYPES


async def find_expert(text: str) -> list[dict]:
    """Formal experts matching an id, a phone, a number or a name (the office's "pick an expert")."""
    text = (text or "").strip()[:64]
    if not text:
        return []
    exact_id = int(text) if text.isdigit() and len(text) <= 9 else None
    return await db.fetch("SELECT id, name, number, employer, title FROM exp_expert WHERE status = 'formal' AND"
                          " (id = $1 OR phone = $2 OR number = $2 OR name ILIKE $3) ORDER BY name, id LIMIT 20",
                          exact_id, text, f"%{text}%")


async def panorama(expert_id: int) -> dict:
    """For the expert's panorama page: the coming schedule, the invitations and the fees."""
    rows = await invitations_of(expert_id)
    now = datetime.now(UTC)
    return {"schedule": sorted((r for r in rows if r["status"] == "accepted" and r["opens_at"] > now),
                               key=lambda r: r["opens_at"]),
            "invitations": rows[:50],
            "fees": [r for r in rows if r["fee_status"]]}


async def send_reminders(now: datetime | None = None) -> dict:
    """Unanswered invitations whose project opens within 24 hours: one reminder each."""
    rows = await db.fetch(f"{SELECT} WHERE i.status = 'invited' AND i.reminded_at IS NULL"
                          " AND i.opens_at > $1 AND i.opens_at <= $1 + interval '24 hours' ORDER BY i.id LIMIT 500",
                          now or datetime.now(UTC))
    for row in rows:
        async with db.transaction():
            if (await db.execute("UPDATE exp_invitation SET reminded_at = now() WHERE id = $1 AND reminded_at IS NULL",
                                 row["id"])).endswith(" 1"):
                await _tell(_row(row), REMINDER_TEMPLATE, ("sms",))
    return {"reminded": len(rows)}

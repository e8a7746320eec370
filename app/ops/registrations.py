"""Signups (OPS-02): one registration per place. Never oversold: a place is taken by one UPDATE that raises the
ticket type's `taken` only while it is below the quota — under any number of concurrent signups the row lock
lets exactly `quota` of them through; the rest join the waiting list. A place that frees (a cancellation, a
rejection, a raised quota) goes to the first person waiting, in the same transaction, who is told by the message
service. Points tickets are paid through the points API in the signup's transaction (refunded on cancel). A paid
ticket's place is reserved ("unpaid") until the payment adapter's signed callback arrives or PAY_MINUTES pass
(the job `ops.unpaid` then frees it for the waiting list); a cancelled paid ticket is refunded through the adapter.
A person's signups for one event are serialised by an advisory lock, so the per-person limit holds too."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.adapters import payment
from app.core import audit, db, masking, notify, security
from app.core.audit import Actor
from app.core.forms import Conflict, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.ops import access, codes, coupons, custom_forms, events
from app.ops.access import NotFound
from app.points import api as points
from app.records import api as records

STATUSES = {"pending": L("Waiting for approval"), "unpaid": L("Waiting for payment"), "confirmed": L("Confirmed"),
            "waitlisted": L("On the waiting list"), "cancelled": L("Cancelled"), "rejected": L("Not accepted")}
ACTIVE = ("pending", "unpaid", "confirmed", "waitlisted")
PAY_MINUTES = 15  # how long a paid ticket's place is held for its payment
PAY_KIND = "ops"  # what the payment adapter's callbacks name for event tickets
TICKET_PURPOSE = "ops.ticket"

for _code, _name, _body in (
    ("ops_registration_confirmed", L("Event registration confirmed"),
     L("Your place at “{{ title }}” ({{ starts }}, {{ place }}) is confirmed. Your ticket code: {{ code }}.")),
    ("ops_registration_waitlisted", L("Event waiting list"),
     L("“{{ title }}” is full: you are on the waiting list. We tell you as soon as a place frees.")),
    ("ops_registration_promoted", L("Event place freed"),
     L("A place at “{{ title }}” freed up and is yours now. Your ticket code: {{ code }}.")),
    ("ops_registration_pending", L("Event registration received"),
     L("Your registration for “{{ title }}” waits for the organisers' approval.")),
    ("ops_registration_rejected", L("Event registration not accepted"),
     L("Your registration for “{{ title }}” was not accepted: {{ reason }}")),
    ("ops_registration_unpaid", L("Event ticket waiting for payment"),
     L("A place at “{{ title }}” is held for you: pay within {{ minutes }} minutes to keep it.")),
    ("ops_registration_lapsed", L("Event reservation lapsed"),
     L("Your place at “{{ title }}” was not paid in time and went to the next person.")),
):
    notify.DEFAULT_TEMPLATES.setdefault(_code, (_name, {"inbox": (_name, _body), "sms": ("", _body)}))


class FormErrors(Exception):
    """The signup form has field errors: re-render `form`."""

    def __init__(self, form: Form):
        super().__init__("form errors")
        self.form = form


@dataclass(frozen=True)
class SignupResult:
    registration_id: int
    status: str
    code: str


def ticket_token(registration: dict) -> str:
    """What the e-ticket's QR holds: the registration and its code, signed (a made-up QR is refused)."""
    return security.sign(TICKET_PURPOSE, {"r": registration["id"], "c": registration["code"]})


def _now() -> datetime:
    return datetime.now(UTC)


def _check_open(event: dict, ticket: dict) -> None:
    now = _now()
    if event["status"] != "published":
        raise Conflict(_("This event is not open for registration."))
    if event["signup_opens"] and now < event["signup_opens"]:
        raise Conflict(_("Registration opens at %(when)s.", when=f"{event['signup_opens']:%Y-%m-%d %H:%M}"))
    if (event["signup_closes"] and now > event["signup_closes"]) or now > event["ends_at"]:
        raise Conflict(_("Registration has closed."))
    if ticket["sale_starts"] and now < ticket["sale_starts"]:
        raise Conflict(_("This ticket is on sale from %(when)s.", when=f"{ticket['sale_starts']:%Y-%m-%d %H:%M}"))
    if ticket["sale_ends"] and now > ticket["sale_ends"]:
        raise Conflict(_("This ticket is no longer on sale."))


async def tell(user_id: int, template: str, event: dict, registration: dict | None = None, reason: str = "",
                   sms: bool = False) -> None:
    data = {"title": event["title"], "starts": f"{event['starts_at']:%Y-%m-%d %H:%M}", "place": event["place"],
            "code": registration["code"] if registration else "", "reason": reason, "minutes": PAY_MINUTES}
    url = f"/h5/tickets/{registration['id']}" if registration else event["url"]
    await notify.notify([user_id], template, data, channels=("inbox", "sms") if sms else ("inbox",), url=url)


async def _take_place(ticket_id: int) -> bool:
    return bool(await db.fetchval("UPDATE ops_ticket_type SET taken = taken + 1 WHERE id = $1 AND taken < quota"
                                  " RETURNING taken", ticket_id))


async def _charge(registration: dict, ticket: dict, event: dict) -> str:
    """Points for a points ticket (raises InsufficientPoints: the caller's transaction rolls back)."""
    if ticket["kind"] != "points" or ticket["price"] <= 0:
        return ""
    key = f"ops.reg:{registration['id']}"
    await points.spend(registration["user"], ticket["price"], key=key, reason=_("Ticket: %(title)s",
                       title=event["title"]), ref=f"ops_registration:{registration['id']}")
    return key


def _placed_status(event: dict, ticket: dict, approved: bool = False) -> str:
    """The status of a registration that has a place: waiting for approval, for payment, or confirmed."""
    if event["needs_approval"] and not approved:
        return "pending"
    return "unpaid" if ticket["kind"] == "paid" and ticket["price"] > 0 else "confirmed"


def _pay_by(status: str) -> datetime | None:
    return _now() + timedelta(minutes=PAY_MINUTES) if status == "unpaid" else None


async def signup(actor: Actor, event_id: int, ticket_id: int, data: dict) -> SignupResult:
    """Register `actor` with one ticket of this type; the form's answers in `data` (q_<key> fields, uploads as
    custom_forms.Upload). Raises FormErrors, Conflict (closed, limit reached, too few points), NotFound."""
    if actor.id is None:
        raise access.NotAllowed()
    event = await events.get_event(event_id)
    ticket = await db.fetchrow("SELECT * FROM ops_ticket_type WHERE id = $1 AND event = $2", ticket_id, event_id)
    if ticket is None:
        raise NotFound()
    _check_open(event, ticket)
    if event["verified_only"] and not await records.is_linked_user(actor.id):
        raise Conflict(_("This event is for verified alumni: verify your alumni identity first."))
    filled = await custom_forms.check(await custom_forms.questions(event["form"]), data)
    if filled.form.errors:
        raise FormErrors(filled.form)
    user = await db.fetchrow("SELECT name, phone FROM app_user WHERE id = $1", actor.id)
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1::int, $2::int)", event_id, actor.id)
        held = await db.fetchval("SELECT count(*) FROM ops_registration WHERE ticket_type = $1 AND \"user\" = $2"
                                 " AND status = ANY($3::varchar[])", ticket_id, actor.id, list(ACTIVE))
        if held >= ticket["per_person"]:
            raise Conflict(_("You already hold %(n)s ticket(s) of this type, the most one person may.", n=held))
        response_id = await custom_forms.store(event["form"], actor.id, filled)
        placed = await _take_place(ticket_id)
        status = _placed_status(event, ticket) if placed else "waitlisted"
        registration = await db.fetchrow(
            "INSERT INTO ops_registration (event, ticket_type, \"user\", status, holds_place, code, response, name,"
            " phone, confirmed_at, pay_by, created_by, updated_by) VALUES ($1, $2, $3, $4::varchar, $5, $6, $7, $8,"
            " $9, CASE WHEN $4::varchar = 'confirmed' THEN now() END, $11, $10, $10) RETURNING *", event_id,
            ticket_id, actor.id, status, placed, codes.new_code(), response_id, user["name"] or "",
            user["phone"] or "", actor.id, _pay_by(status))
        if status == "confirmed":
            key = await _charge(registration, ticket, event)
            if key:
                await db.execute("UPDATE ops_registration SET points_key = $2 WHERE id = $1", registration["id"], key)
            await coupons.issue_for_event("signup", event_id, actor.id, registration["id"])
        await audit.record(actor, "signup", "ops_registration", registration["id"],
                           after={"event": event_id, "ticket_type": ticket_id, "status": status},
                           summary=event["title"])
        template = {"confirmed": "ops_registration_confirmed", "pending": "ops_registration_pending",
                    "waitlisted": "ops_registration_waitlisted", "unpaid": "ops_registration_unpaid"}[status]
        await tell(actor.id, template, event, registration)
    return SignupResult(registration["id"], status, registration["code"])


async def _paid_amount(registration: dict) -> int:
    """What a paid ticket cost (a ticket type's price is frozen once places are taken)."""
    return await db.fetchval("SELECT price FROM ops_ticket_type WHERE id = $1", registration["ticket_type"]) or 0


async def release(registration: dict, event: dict, actor: Actor) -> None:
    """Give back the place and points of a registration leaving (in the caller's transaction), then promote."""
    if registration["points_key"]:
        await points.refund(registration["user"], key=f"{registration['points_key']}:refund",
                            original_key=registration["points_key"], reason=_("Ticket cancelled: %(title)s",
                            title=event["title"]))
    if registration["payment_ref"] and not registration["refund_ref"]:
        refunded = payment.provider().refund(registration["payment_ref"], await _paid_amount(registration))
        await db.execute("UPDATE ops_registration SET refund_ref = $2 WHERE id = $1", registration["id"],
                         refunded.provider_ref)
        await audit.record(actor, "refund", "ops_registration", registration["id"],
                           after={"refund_ref": refunded.provider_ref, "amount": refunded.amount},
                           summary=event["title"])
    if registration["holds_place"]:
        await db.execute("UPDATE ops_ticket_type SET taken = taken - 1 WHERE id = $1", registration["ticket_type"])
        await db.execute("UPDATE ops_registration SET holds_place = FALSE WHERE id = $1", registration["id"])
        await promote(registration["ticket_type"], actor)


async def promote(ticket_id: int, actor: Actor = audit.SYSTEM) -> list[int]:
    """Free places of this ticket type → the people waiting longest (in the caller's transaction when there is
    one). Someone whose points no longer cover a points ticket is passed over and stays waiting."""
    promoted: list[int] = []
    async with db.transaction():
        ticket = await db.fetchrow("SELECT * FROM ops_ticket_type WHERE id = $1", ticket_id)
        event = await events.get_event(ticket["event"])
        skipped: list[int] = []
        while True:
            waiting = await db.fetchrow(
                "SELECT * FROM ops_registration WHERE ticket_type = $1 AND status = 'waitlisted'"
                " AND id <> ALL($2::bigint[]) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", ticket_id, skipped)
            if waiting is None:
                break
            if ticket["kind"] == "points" and not event["needs_approval"] \
                    and await points.balance(waiting["user"]) < ticket["price"]:
                skipped.append(waiting["id"])
                continue
            if not await _take_place(ticket_id):
                break
            status = _placed_status(event, ticket)
            await db.execute("UPDATE ops_registration SET status = $2::varchar, holds_place = TRUE, confirmed_at ="
                             " CASE WHEN $2::varchar = 'confirmed' THEN now() END, pay_by = $3, updated_at = now()"
                             " WHERE id = $1", waiting["id"], status, _pay_by(status))
            if status == "confirmed":
                key = await _charge(waiting, ticket, event)
                if key:
                    await db.execute("UPDATE ops_registration SET points_key = $2 WHERE id = $1", waiting["id"], key)
            await audit.record(actor, "promote", "ops_registration", waiting["id"],
                               before={"status": "waitlisted"}, after={"status": status}, summary=event["title"])
            template = {"confirmed": "ops_registration_promoted", "unpaid": "ops_registration_unpaid"}
            await tell(waiting["user"], template.get(status, "ops_registration_pending"), event, waiting, sms=True)
            promoted.append(waiting["id"])
    return promoted


async def _locked(registration_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM ops_registration WHERE id = $1 FOR UPDATE", registration_id)
    if row is None:
        raise NotFound()
    return row


async def cancel(actor: Actor, registration_id: int) -> None:
    """The holder (or an organiser) gives up a place or leaves the waiting list; a checked-in ticket stays."""
    async with db.transaction():
        registration = await _locked(registration_id)
        event = await events.get_event(registration["event"])
        if registration["user"] != actor.id and not await access.may_manage(actor, event):
            raise access.NotAllowed()
        if registration["status"] not in ACTIVE:
            raise Conflict(_("This registration is no longer active."))
        if registration["checked_in_at"]:
            raise Conflict(_("This ticket was already used at the door."))
        await db.execute("UPDATE ops_registration SET status = 'cancelled', cancelled_at = now(), updated_at = now(),"
                         " updated_by = $2 WHERE id = $1", registration_id, actor.id)
        await audit.record(actor, "cancel", "ops_registration", registration_id,
                           before={"status": registration["status"]}, after={"status": "cancelled"},
                           summary=event["title"])
        await release(registration, event, actor)


async def decide(actor: Actor, registration_id: int, approve: bool, reason: str = "") -> None:
    """An organiser accepts or turns down a registration waiting for approval."""
    async with db.transaction():
        registration = await _locked(registration_id)
        event = await events.get_event(registration["event"])
        await access.require_manage(actor, event)
        if registration["status"] != "pending":
            raise Conflict(_("This registration is not waiting for approval."))
        if approve:
            ticket = await db.fetchrow("SELECT * FROM ops_ticket_type WHERE id = $1", registration["ticket_type"])
            try:
                key = await _charge(registration, ticket, event)
            except points.InsufficientPoints:
                raise Conflict(_("The applicant no longer has enough points for this ticket.")) from None
            status = _placed_status(event, ticket, approved=True)
            await db.execute("UPDATE ops_registration SET status = $4::varchar, confirmed_at = CASE WHEN"
                             " $4::varchar = 'confirmed' THEN now() END, points_key = $3, pay_by = $5,"
                             " updated_at = now(), updated_by = $2 WHERE id = $1", registration_id, actor.id, key,
                             status, _pay_by(status))
            await tell(registration["user"], "ops_registration_confirmed" if status == "confirmed"
                           else "ops_registration_unpaid", event, registration, sms=True)
        else:
            reason = (reason or "").strip()
            if not reason:
                raise Invalid("reason", _("Give a reason."))
            await db.execute("UPDATE ops_registration SET status = 'rejected', reject_reason = $3, updated_at = now(),"
                             " updated_by = $2 WHERE id = $1", registration_id, actor.id, reason[:300])
            await tell(registration["user"], "ops_registration_rejected", event, registration, reason)
            await release(registration, event, actor)
        await audit.record(actor, "approve" if approve else "reject", "ops_registration", registration_id,
                           before={"status": "pending"}, after={"approved": approve, "reason": reason},
                           summary=event["title"])


REG_COLUMNS = ("r.*, t.name AS ticket_name, t.kind AS ticket_kind, t.price AS ticket_price, e.title AS event_title,"
               " e.starts_at, e.ends_at, e.place, e.owner_kind, e.owner_id, u.username")


def _shape(row: dict) -> dict:
    row["status_label"] = str(STATUSES.get(row["status"], row["status"]))
    return row


async def get_registration(actor: Actor, registration_id: int) -> dict:
    """The holder's own ticket, or any for the event's organisers and door staff."""
    row = await db.fetchrow(f"SELECT {REG_COLUMNS} FROM ops_registration r JOIN ops_ticket_type t ON t.id ="
                            " r.ticket_type JOIN ops_event e ON e.id = r.event JOIN app_user u ON u.id = r.\"user\""
                            " WHERE r.id = $1", registration_id)
    if row is None:
        raise NotFound()
    if row["user"] != actor.id and not await access.may_check_in(actor, {"owner_kind": row["owner_kind"],
                                                                         "owner_id": row["owner_id"]}):
        raise NotFound()
    if row["user"] != actor.id:
        row["phone"] = masking.shown(actor, "phone", row["phone"])
    return _shape(row)


async def my_registrations(user_id: int, req: PageRequest | None = None) -> Page:
    req = req or PageRequest()
    total = await db.fetchval("SELECT count(*) FROM ops_registration WHERE \"user\" = $1", user_id)
    rows = await db.fetch(f"SELECT {REG_COLUMNS} FROM ops_registration r JOIN ops_ticket_type t ON t.id ="
                          " r.ticket_type JOIN ops_event e ON e.id = r.event JOIN app_user u ON u.id = r.\"user\""
                          " WHERE r.\"user\" = $1 ORDER BY (r.status = ANY($2::varchar[])) DESC, e.starts_at DESC,"
                          f" r.id DESC LIMIT {req.per_page} OFFSET {req.offset}", user_id, list(ACTIVE))
    return Page([_shape(r) for r in rows], total, req.page, req.per_page)


async def mine_for_event(user_id: int | None, event_id: int) -> list[dict]:
    if user_id is None:
        return []
    rows = await db.fetch(f"SELECT {REG_COLUMNS} FROM ops_registration r JOIN ops_ticket_type t ON t.id ="
                          " r.ticket_type JOIN ops_event e ON e.id = r.event JOIN app_user u ON u.id = r.\"user\""
                          " WHERE r.\"user\" = $1 AND r.event = $2 ORDER BY r.id", user_id, event_id)
    return [_shape(r) for r in rows]


async def list_registrations(actor: Actor, event_id: int, *, status: str = "", q: str = "",
                             req: PageRequest | None = None) -> Page:
    await events.managed_event(actor, event_id)
    req = req or PageRequest(per_page=50)
    where, args = ["r.event = $1"], [event_id]
    if status == "checked_in":
        where.append("r.checked_in_at IS NOT NULL")
    elif status in STATUSES:
        args.append(status)
        where.append(f"r.status = ${len(args)}")
    if q:
        args.append(f"%{q}%")
        where.append(f"(r.name ILIKE ${len(args)} OR r.phone ILIKE ${len(args)} OR r.code ILIKE ${len(args)})")
    sql_where = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM ops_registration r WHERE {sql_where}", *args)
    rows = await db.fetch(f"SELECT {REG_COLUMNS} FROM ops_registration r JOIN ops_ticket_type t ON t.id ="
                          " r.ticket_type JOIN ops_event e ON e.id = r.event JOIN app_user u ON u.id = r.\"user\""
                          f" WHERE {sql_where} ORDER BY r.id LIMIT {req.per_page} OFFSET {req.offset}", *args)
    for row in rows:
        row["phone"] = masking.shown(actor, "phone", row["phone"])
    return Page([_shape(r) for r in rows], total, req.page, req.per_page)


async def export_rows(actor: Actor, event_id: int) -> tuple[list[tuple[str, str]], list[dict]]:
    """Columns and rows of the registrations export: every registration with its form answers (phones masked for
    viewers without the clear view: exports.export_rows masks with the viewer)."""
    event = await events.managed_event(actor, event_id)
    items = await custom_forms.questions(event["form"])
    columns = [("name", _("Name")), ("phone", _("Phone")), ("ticket_name", _("Ticket type")),
               ("code", _("Ticket code")), ("status_label", _("Status")), ("created_at", _("Registered")),
               ("checked_in_at", _("Checked in"))]
    columns += [(f"q_{q.key}", q.label) for q in items]
    rows = await db.fetch(f"SELECT {REG_COLUMNS}, fr.answers FROM ops_registration r JOIN ops_ticket_type t ON"
                          " t.id = r.ticket_type JOIN ops_event e ON e.id = r.event"
                          " JOIN app_user u ON u.id = r.\"user\" LEFT JOIN ops_form_response fr ON fr.id = r.response"
                          " WHERE r.event = $1 ORDER BY r.id",
                          event_id)
    out = []
    for row in rows:
        answers = row.pop("answers")
        answers = json.loads(answers) if isinstance(answers, str) else dict(answers or {})
        shaped = _shape(row)
        for label_value, q in zip(custom_forms.display(items, answers), items, strict=True):
            shaped[f"q_{q.key}"] = label_value[1]
        out.append(shaped)
    return columns, out


async def counts(event_id: int) -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n, count(checked_in_at) AS arrived FROM ops_registration"
                          " WHERE event = $1 GROUP BY status", event_id)
    out = {r["status"]: r["n"] for r in rows}
    out["checked_in"] = sum(r["arrived"] for r in rows)
    return out

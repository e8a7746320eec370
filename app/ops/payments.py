"""Paid tickets (OPS-02) through the cash payment adapter (app/adapters/payment.py): an unpaid registration holds
its place until the provider's signed callback confirms it or PAY_MINUTES pass. A callback that is forged, stale,
for another kind of order or for another amount confirms nothing and is audited as refused; a payment that arrives
after the place lapsed is refunded at once."""
from __future__ import annotations

from app.adapters import payment
from app.core import audit, db, security
from app.core.audit import Actor
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.ops import coupons, events, registrations
from app.ops.access import NotFound
from app.ops.registrations import PAY_KIND


class PaymentRefused(Exception):
    """The callback proves no payment for this ticket (answer 403)."""


async def unpaid_registration(user_id: int, registration_id: int) -> dict:
    """The holder's registration waiting for payment, with what it costs."""
    row = await db.fetchrow(
        "SELECT r.*, t.price, t.name AS ticket_name, e.title AS event_title FROM ops_registration r"
        " JOIN ops_ticket_type t ON t.id = r.ticket_type JOIN ops_event e ON e.id = r.event"
        " WHERE r.id = $1 AND r.\"user\" = $2", registration_id, user_id)
    if row is None:
        raise NotFound()
    return row


def pay_url(registration: dict) -> str:
    return payment.provider().start(registration["id"], registration["price"], PAY_KIND)


def callback_token(registration: dict) -> str:
    """The local provider's signed callback for this registration (its pay page posts it)."""
    return payment.provider().callback_token(registration["id"], registration["price"], PAY_KIND)


async def settle(token: str, actor: Actor = audit.SYSTEM) -> dict:
    """Confirm the registration a provider callback pays for; returns it. Raises PaymentRefused (forged, stale,
    another kind, wrong amount — audited) or Conflict (the place lapsed: refunded)."""
    try:
        paid = payment.provider().verify_callback(token)
    except (security.TokenInvalid, security.TokenExpired):
        await _refuse(actor, "", "bad signature")
        raise PaymentRefused() from None
    if paid.kind != PAY_KIND:
        await _refuse(actor, "", f"callback for {paid.kind}")
        raise PaymentRefused()
    lapsed = False
    async with db.transaction():
        row = await db.fetchrow("SELECT r.*, t.price FROM ops_registration r JOIN ops_ticket_type t ON"
                                " t.id = r.ticket_type WHERE r.id = $1 FOR UPDATE OF r", paid.order_id)
        if row is None or paid.amount != row["price"]:
            refused = True
        else:
            refused = False
            event = await events.get_event(row["event"])
            if row["status"] == "confirmed" and row["payment_ref"] == paid.provider_ref:
                return row  # the provider repeated its notification
            if row["status"] == "unpaid":
                await db.execute("UPDATE ops_registration SET status = 'confirmed', confirmed_at = now(), paid_at ="
                                 " now(), payment_ref = $2, pay_by = NULL, updated_at = now() WHERE id = $1",
                                 row["id"], paid.provider_ref)
                await coupons.issue_for_event("signup", row["event"], row["user"], row["id"])
                await audit.record(actor, "paid", "ops_registration", row["id"], before={"status": "unpaid"},
                                   after={"status": "confirmed", "payment_ref": paid.provider_ref,
                                          "amount": paid.amount}, summary=event["title"])
                await registrations.tell(row["user"], "ops_registration_confirmed", event, row)
                return await db.fetchrow("SELECT * FROM ops_registration WHERE id = $1", row["id"])
            lapsed = True
            refund = payment.provider().refund(paid.provider_ref, paid.amount)
            await audit.record(actor, "refund", "ops_registration", row["id"],
                               after={"late_payment": paid.provider_ref, "refund_ref": refund.provider_ref,
                                      "amount": paid.amount, "status": row["status"]}, summary=event["title"])
    if refused:
        await _refuse(actor, paid.order_id, f"amount {paid.amount}")
        raise PaymentRefused()
    assert lapsed
    raise Conflict(_("The payment arrived after your reservation lapsed: it has been refunded."))


async def _refuse(actor: Actor, registration_id: int | str, why: str) -> None:
    await audit.record(actor, "refused", "ops_registration", registration_id, after={"payment_callback": why},
                       summary=_("Payment callback refused"))


async def expire_unpaid(limit: int = 200) -> dict:
    """Free the places of unpaid reservations past their deadline (each promotes the next person waiting)."""
    lapsed = 0
    while lapsed < limit:
        async with db.transaction():
            row = await db.fetchrow("SELECT * FROM ops_registration WHERE status = 'unpaid' AND pay_by < now()"
                                    " ORDER BY pay_by LIMIT 1 FOR UPDATE SKIP LOCKED")
            if row is None:
                break
            event = await events.get_event(row["event"])
            await db.execute("UPDATE ops_registration SET status = 'cancelled', cancelled_at = now(), reject_reason ="
                             " $2, updated_at = now() WHERE id = $1", row["id"], _("Not paid in time"))
            await audit.record(audit.SYSTEM, "lapse", "ops_registration", row["id"], before={"status": "unpaid"},
                               after={"status": "cancelled"}, summary=event["title"])
            await registrations.tell(row["user"], "ops_registration_lapsed", event, row)
            await registrations.release(row, event, audit.SYSTEM)
            lapsed += 1
    return {"lapsed": lapsed}

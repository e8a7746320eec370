"""Paid tickets (OPS-02) through the payment adapter: a place is held while unpaid, the provider's signed callback
confirms it (once, however often it is repeated), a forged / altered / other-kind callback confirms nothing and is
audited, an unpaid reservation lapses and its place goes to the next person waiting, a late payment is refunded,
a cancelled paid ticket is refunded."""
import pytest

from app.adapters import payment
from app.core.audit import SYSTEM
from app.core.forms import Conflict, Invalid
from app.ops import payments, registrations, tickets
from tests.helpers import csrf_from, login
from tests.ops.factories import PASSWORD, make_event, make_user

PRICE = 4990  # ¥49.90


async def _refusals(db) -> int:
    return await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'ops_registration'"
                             " AND after ? 'payment_callback'")


@pytest.mark.req("OPS-02")
async def test_price_typed_in_yuan(db):
    event_id, ticket_id = await make_event("校友晚宴", kind="paid", price=PRICE)
    ticket = (await tickets.ticket_types(event_id))[0]
    assert ticket["price"] == PRICE and ticket["price_label"] == "¥49.90"
    for bad in ("", "0", "-5", "1e3", "12.345", "abc"):
        with pytest.raises(Invalid) as exc:
            await tickets.save_ticket_type(SYSTEM, event_id, {"name": "贵宾票", "kind": "paid", "price_yuan": bad,
                                                              "quota": 5})
        assert exc.value.field == "price_yuan"


@pytest.mark.req("OPS-02")
async def test_callback_confirms_once_and_forgeries_are_refused(db):
    event_id, ticket_id = await make_event("校友晚宴", kind="paid", price=PRICE, quota=5)
    buyer = await make_user(db, "付款人")
    done = await registrations.signup(buyer, event_id, ticket_id, {})
    assert done.status == "unpaid"
    row = await db.fetchrow("SELECT holds_place, pay_by FROM ops_registration WHERE id = $1", done.registration_id)
    assert row["holds_place"] and row["pay_by"] is not None
    assert await db.fetchval("SELECT taken FROM ops_ticket_type WHERE id = $1", ticket_id) == 1
    reg = await payments.unpaid_registration(buyer.id, done.registration_id)
    assert payments.pay_url(reg) == f"/pay/local/ops/{done.registration_id}"

    provider = payment.provider()
    refused_before = await _refusals(db)
    for forged in (payments.callback_token(reg)[:-6] + "AAAAAA",                     # altered signature
                   provider.callback_token(done.registration_id, PRICE, "mall"),       # a shop order's callback
                   provider.callback_token(done.registration_id, 1, "ops")):           # another amount
        with pytest.raises(payments.PaymentRefused):
            await payments.settle(forged)
    assert await _refusals(db) == refused_before + 3
    assert await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", done.registration_id) == "unpaid"

    token = payments.callback_token(reg)
    settled = await payments.settle(token)
    assert settled["status"] == "confirmed" and settled["payment_ref"].startswith("LP")
    again = await payments.settle(token)  # the provider repeats its notification
    assert again["payment_ref"] == settled["payment_ref"]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'paid' AND entity_id = $1",
                             str(done.registration_id)) == 1

    await registrations.cancel(buyer, done.registration_id)
    refunded = await db.fetchrow("SELECT status, refund_ref FROM ops_registration WHERE id = $1",
                                 done.registration_id)
    assert refunded["status"] == "cancelled" and refunded["refund_ref"].startswith("LR")
    assert await db.fetchval("SELECT taken FROM ops_ticket_type WHERE id = $1", ticket_id) == 0


@pytest.mark.req("OPS-02")
async def test_unpaid_place_lapses_to_the_waiting_list_and_a_late_payment_is_refunded(db):
    event_id, ticket_id = await make_event("小型品鉴会", kind="paid", price=PRICE, quota=1)
    first, second = await make_user(db, "甲"), await make_user(db, "乙")
    held = await registrations.signup(first, event_id, ticket_id, {})
    waiting = await registrations.signup(second, event_id, ticket_id, {})
    assert (held.status, waiting.status) == ("unpaid", "waitlisted")
    late_token = payments.callback_token(await payments.unpaid_registration(first.id, held.registration_id))

    assert (await payments.expire_unpaid())["lapsed"] == 0  # not yet due
    await db.execute("UPDATE ops_registration SET pay_by = now() - interval '1 minute' WHERE id = $1",
                     held.registration_id)
    assert (await payments.expire_unpaid())["lapsed"] == 1
    assert await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", held.registration_id) == "cancelled"
    promoted = await db.fetchrow("SELECT status, pay_by FROM ops_registration WHERE id = $1", waiting.registration_id)
    assert promoted["status"] == "unpaid" and promoted["pay_by"] is not None
    assert await db.fetchval("SELECT taken FROM ops_ticket_type WHERE id = $1", ticket_id) == 1

    with pytest.raises(Conflict):
        await payments.settle(late_token)
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refund' AND entity_id = $1"
                             " AND after ? 'late_payment'", str(held.registration_id)) == 1
    assert await db.fetchval("SELECT status FROM ops_registration WHERE id = $1", held.registration_id) == "cancelled"


@pytest.mark.req("OPS-02")
async def test_phone_signup_pays_on_the_local_pay_page(client, db):
    event_id, ticket_id = await make_event("校友音乐会", kind="paid", price=PRICE)
    person = await make_user(db, "听众")
    await login(client, person.name, PASSWORD)
    url = f"/h5/events/{event_id}/signup?ticket={ticket_id}"
    assert "¥49.90" in (await client.get(f"/h5/events/{event_id}")).text
    form = await client.get(url)
    done = await client.post(url, data={"_csrf_token": csrf_from(form.text)})
    assert done.status_code == 303 and done.headers["location"].startswith("/pay/local/ops/")
    reg_id = int(done.headers["location"].rsplit("/", 1)[-1])
    ticket = await client.get(f"/h5/tickets/{reg_id}")
    assert "Waiting for payment" in ticket.text and "qr-svg" not in ticket.text and 'id="pay-now"' in ticket.text

    pay = await client.get(done.headers["location"])
    assert pay.status_code == 200 and "¥49.90" in pay.text
    token = pay.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    forged = await client.post("/pay/local/ops/callback", data={"_csrf_token": csrf_from(pay.text),
                                                                "token": token[:-4] + "AAAA"})
    assert forged.status_code == 403
    paid = await client.post("/pay/local/ops/callback", data={"_csrf_token": csrf_from(pay.text), "token": token})
    assert paid.status_code == 303 and paid.headers["location"] == f"/h5/tickets/{reg_id}"
    confirmed = await client.get(paid.headers["location"])
    assert "Payment received" in confirmed.text and "qr-svg" in confirmed.text
    # the shop's callback page does not accept an event ticket's callback
    mall = await client.post("/pay/local/callback", data={"_csrf_token": csrf_from(pay.text), "token": token})
    assert mall.status_code == 403

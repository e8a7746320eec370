"""Coupons (OPS-08): issued on check-in once (a replayed scan issues nothing more), by hand, into the wallet;
redeemed once by listed staff (by code or QR) or by the holder when allowed; a second use, a stranger and an
expired coupon are refused and audited."""
import pytest

from app.core.audit import SYSTEM
from app.core.forms import Conflict
from app.ops import checkin, coupons, registrations
from tests.ops.factories import make_event, make_user


@pytest.mark.req("OPS-08")
async def test_issued_on_checkin_once_and_redeemed_once_by_staff(db):
    event_id, ticket_id = await make_event("校友午宴", quota=10)
    staff, stranger = await make_user(db, "食堂"), await make_user(db, "路人")
    type_id = await coupons.save_type(SYSTEM, {"name": "午餐券", "kind": "meal", "issue_on": "checkin",
                                               "event": event_id, "redeemers": [staff.id]})
    guest = await make_user(db, "来宾")
    reg = await registrations.signup(guest, event_id, ticket_id, {})
    await checkin.check_in(SYSTEM, event_id, reg.code, client_ref="door:1")
    await checkin.check_in(SYSTEM, event_id, reg.code, client_ref="door:2")  # scanned again
    wallet = await coupons.wallet(guest.id)
    assert [c["name"] for c in wallet] == ["午餐券"]
    coupon = wallet[0]
    with pytest.raises(Conflict, match="not a redeemer"):
        await coupons.redeem(stranger, coupon["code"])
    with pytest.raises(Conflict, match="staff at the counter"):
        await coupons.redeem(guest, coupon["code"], by_holder=True)
    used = await coupons.redeem(staff, coupons.coupon_token(coupon))  # the QR
    assert used["status"] == "redeemed"
    with pytest.raises(Conflict, match="already used"):
        await coupons.redeem(staff, coupon["code"])
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'redeem_refused'"
                             " AND entity = 'ops_coupon'") == 3
    assert await coupons.issue_manually(SYSTEM, type_id, [guest.id, stranger.id, stranger.id]) == 2


@pytest.mark.req("OPS-08")
async def test_self_redeem_and_validity(db):
    from datetime import UTC, datetime, timedelta

    holder = await make_user(db, "持券人")
    type_id = await coupons.save_type(SYSTEM, {"name": "停车券", "kind": "parking", "self_redeem": True})
    expired_id = await coupons.save_type(SYSTEM, {"name": "过期券", "kind": "discount", "self_redeem": True,
                                                  "valid_to": datetime.now(UTC) - timedelta(days=1)})
    await coupons.issue_manually(SYSTEM, type_id, [holder.id])
    await coupons.issue_manually(SYSTEM, expired_id, [holder.id])
    wallet = {c["name"]: c for c in await coupons.wallet(holder.id)}
    assert (await coupons.redeem(holder, wallet["停车券"]["code"], by_holder=True))["status"] == "redeemed"
    with pytest.raises(Conflict, match="not valid now"):
        await coupons.redeem(holder, wallet["过期券"]["code"], by_holder=True)


@pytest.mark.req("OPS-08")
async def test_wallet_and_counter_pages(client, db):
    from tests.helpers import csrf_from, login
    from tests.ops.factories import PASSWORD

    holder, staff = await make_user(db, "券主"), await make_user(db, "收银")
    type_id = await coupons.save_type(SYSTEM, {"name": "咖啡券", "kind": "discount", "redeemers": [staff.id]})
    await coupons.issue_manually(SYSTEM, type_id, [holder.id])
    await login(client, holder.name, PASSWORD)
    wallet = await client.get("/h5/coupons")
    assert "咖啡券" in wallet.text
    coupon = (await coupons.wallet(holder.id))[0]
    page = await client.get(f"/h5/coupons/{coupon['id']}")
    assert page.status_code == 200 and coupon["code"] in page.text and "<svg" in page.text
    await login(client, staff.name, PASSWORD)
    assert (await client.get(f"/h5/coupons/{coupon['id']}")).status_code == 404  # not theirs
    counter = await client.get("/h5/coupons/redeem")
    token = csrf_from(counter.text)
    done = await client.post("/h5/coupons/redeem", data={"_csrf_token": token, "code": coupon["code"].lower()})
    assert done.status_code == 200 and "Redeemed: 咖啡券" in done.text
    again = await client.post("/h5/coupons/redeem", data={"_csrf_token": token, "code": coupon["code"]})
    assert again.status_code == 409 and "already used" in again.text

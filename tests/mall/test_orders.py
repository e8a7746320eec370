"""Order lifecycle (MALL-06): pay, ship, confirm, review → completed; cancel returns stock and points;
the timeout job cancels unpaid orders, confirms receipt and completes unreviewed orders; every step
leaves a timeline event, an audit row and a message for the buyer."""
import pytest

from app.core import jobs
from app.core.audit import SYSTEM, Actor
from app.core.forms import Conflict, Invalid
from app.mall import checkout, orders
from app.mall.checkout import Line
from app.points import api as points
from tests.mall.factories import buyer, key, product

STAFF = Actor(1, "admin", is_superuser=True)


async def _order(db, who, item, qty=1, delivery="express"):
    point = await db.fetchval("SELECT id FROM mall_pickup_point ORDER BY id LIMIT 1")
    return await checkout.place_order(who["id"], [Line(item["sku"], qty)], delivery=delivery, request_key=key(),
                                      address_id=who["address"], pickup_point_id=point, actor=who["actor"])


async def _timeline(db, order_id):
    return [r["to_status"] for r in await db.fetch(
        "SELECT to_status FROM mall_order_event WHERE \"order\" = $1 ORDER BY at, id", order_id)]


@pytest.mark.req("MALL-06")
async def test_full_lifecycle_cash_order(db):
    item = await product(db, points_price=100, cash=990, stock=5)
    who = await buyer(db)
    order = await _order(db, who, item)
    paid = await orders.mark_paid(order["id"], "LP-1")
    assert paid["status"] == "pending_shipment"
    again = await orders.mark_paid(order["id"], "LP-1")  # repeated callback: no second transition
    assert again["status"] == "pending_shipment"
    with pytest.raises(Invalid):
        await orders.ship(order["id"], STAFF, "顺丰", "")
    shipped = await orders.ship(order["id"], STAFF, "顺丰", "SF123456")
    assert shipped["status"] == "pending_receipt" and shipped["tracking_no"] == "SF123456"
    assert shipped["auto_confirm_at"]
    with pytest.raises(Conflict):
        await orders.ship(order["id"], STAFF, "顺丰", "SF999")
    await orders.confirm_receipt(order["id"], who["actor"], buyer_id=who["id"])
    full = await orders.get(order["id"])
    review_id = await orders.submit_review(who["id"], order["id"], full["items"][0]["id"], 5, "很好", [], who["actor"])
    assert await db.fetchval("SELECT status FROM mall_review WHERE id = $1", review_id) == "pending"
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order["id"]) == "completed"
    assert await _timeline(db, order["id"]) == ["pending_payment", "pending_shipment", "pending_receipt",
                                                "pending_review", "completed"]
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1"
                             " AND template_code = 'mall_order_status'", who["id"]) == 5
    assert await db.fetchval("SELECT status FROM mall_payment WHERE \"order\" = $1 AND method = 'cash'",
                             order["id"]) == "paid"


@pytest.mark.req("MALL-06")
async def test_cancel_returns_stock_and_points_once(db):
    item = await product(db, points_price=200, stock=3)
    who = await buyer(db, balance=1000)
    order = await _order(db, who, item, qty=2)
    assert await points.balance(who["id"]) == 600
    with pytest.raises(Invalid):
        await orders.cancel(order["id"], STAFF, "")
    other = await buyer(db)
    with pytest.raises(orders.NotFound):  # a buyer cannot cancel someone else's order
        await orders.cancel(order["id"], other["actor"], "不要了", by_buyer=True)
    with pytest.raises(Conflict):  # buyers only cancel unpaid orders; this one is already paid with points
        await orders.cancel(order["id"], who["actor"], "不要了", by_buyer=True)
    await orders.cancel(order["id"], STAFF, "缺货")
    assert await points.balance(who["id"]) == 1000
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 3
    with pytest.raises(Conflict):
        await orders.cancel(order["id"], STAFF, "again")
    assert await points.balance(who["id"]) == 1000
    assert await db.fetchval("SELECT cancel_reason FROM mall_order WHERE id = $1", order["id"]) == "缺货"


@pytest.mark.req("MALL-06")
async def test_unpaid_order_auto_cancels_via_job_and_stock_and_points_come_back(db):
    item = await product(db, points_price=300, cash=1000, stock=2)
    who = await buyer(db, balance=1000)
    order = await _order(db, who, item)
    assert order["status"] == "pending_payment"
    assert await points.balance(who["id"]) == 700
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 1
    await db.execute("UPDATE mall_order SET pay_deadline = now() - interval '1 minute' WHERE id = $1", order["id"])
    await jobs.enqueue("mall.order_timeouts", {})
    await jobs.drain()
    row = await db.fetchrow("SELECT status, cancel_reason FROM mall_order WHERE id = $1", order["id"])
    assert row["status"] == "cancelled" and row["cancel_reason"] == "Not paid in time"
    assert await points.balance(who["id"]) == 1000
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 2
    assert await points.ledger_consistent(who["id"]) == []


@pytest.mark.req("MALL-06")
async def test_auto_confirm_and_auto_complete(db):
    item = await product(db, stock=5)
    who = await buyer(db)
    order = await _order(db, who, item)
    await orders.ship(order["id"], STAFF, "EMS", "E1")
    await db.execute("UPDATE mall_order SET auto_confirm_at = now() - interval '1 second' WHERE id = $1", order["id"])
    assert await orders.confirm_overdue_receipts() == 1
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order["id"]) == "pending_review"
    await db.execute("UPDATE mall_order SET received_at = now() - interval '30 days' WHERE id = $1", order["id"])
    assert await orders.complete_unreviewed_orders() == 1
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order["id"]) == "completed"


@pytest.mark.req("MALL-06", "MALL-08")
async def test_pickup_verification_by_code(db):
    item = await product(db, stock=5)
    who = await buyer(db)
    order = await _order(db, who, item, delivery="pickup")
    with pytest.raises(Invalid):
        await orders.verify_pickup("000", STAFF)
    with pytest.raises(Conflict):  # pickup orders are not shipped
        await orders.ship(order["id"], STAFF, "EMS", "E1")
    done = await orders.verify_pickup(order["pickup_code"], STAFF)
    assert done["status"] == "pending_review" and done["received_at"]
    with pytest.raises(Conflict):
        await orders.verify_pickup(order["pickup_code"], SYSTEM)

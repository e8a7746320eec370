"""Checkout (MALL-06): atomic, idempotent by request key, never oversells, never overdraws points, and
refuses clearly. Concurrency runs real transactions on separate pool connections."""
import asyncio

import pytest

from app.core.forms import Invalid
from app.mall import checkout
from app.mall.checkout import Line
from app.points import api as points
from tests.mall.factories import buyer, key, product


@pytest.mark.req("MALL-06")
async def test_points_only_order_goes_to_pending_shipment_and_spends_points(db):
    item = await product(db, points_price=150, stock=5)
    who = await buyer(db, balance=1000)
    order = await checkout.place_order(who["id"], [Line(item["sku"], 2)], delivery="express", request_key=key(),
                                       address_id=who["address"], actor=who["actor"])
    assert order["status"] == "pending_shipment" and order["points_total"] == 300 and order["cash_total"] == 0
    assert order["address"]["detail"] == "同窗路 1 号" and order["no"].startswith("M")
    assert await points.balance(who["id"]) == 700
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 3
    assert await db.fetchval("SELECT sales FROM mall_product WHERE id = $1", item["id"]) == 2
    items = await db.fetch("SELECT name, qty, price_points FROM mall_order_item WHERE \"order\" = $1", order["id"])
    assert items == [{"name": "测试商品", "qty": 2, "price_points": 150}]
    events = await db.fetch("SELECT to_status FROM mall_order_event WHERE \"order\" = $1", order["id"])
    assert [e["to_status"] for e in events] == ["pending_shipment"]
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1"
                             " AND template_code = 'mall_order_status'", who["id"]) == 1
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'mall.order.create'"
                             " AND entity_id = $1", str(order["id"])) == 1


@pytest.mark.req("MALL-06")
async def test_same_request_key_returns_the_same_order_once(db):
    item = await product(db, stock=5)
    who = await buyer(db)
    k = key()
    first, second = await asyncio.gather(*[
        checkout.place_order(who["id"], [Line(item["sku"], 1)], delivery="express", request_key=k,
                             address_id=who["address"], actor=who["actor"]) for _ in range(2)])
    assert first["id"] == second["id"]
    assert await db.fetchval("SELECT count(*) FROM mall_order WHERE request_key = $1", k) == 1
    assert await points.balance(who["id"]) == 900
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 4


@pytest.mark.req("MALL-06")
async def test_refusals_roll_everything_back(db):
    item = await product(db, points_price=400, stock=1)
    poor = await buyer(db, balance=100)
    with pytest.raises(Invalid) as exc:
        await checkout.place_order(poor["id"], [Line(item["sku"], 1)], delivery="express", request_key=key(),
                                   address_id=poor["address"], actor=poor["actor"])
    assert exc.value.field == "points" and "Not enough points" in exc.value.message
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 1
    assert await db.fetchval("SELECT count(*) FROM mall_order WHERE \"user\" = $1", poor["id"]) == 0
    rich = await buyer(db, balance=5000)
    with pytest.raises(Invalid) as exc:
        await checkout.place_order(rich["id"], [Line(item["sku"], 2)], delivery="express", request_key=key(),
                                   address_id=rich["address"], actor=rich["actor"])
    assert exc.value.field == "stock" and "Not enough stock" in exc.value.message
    assert await points.balance(rich["id"]) == 5000
    with pytest.raises(Invalid) as exc:  # pickup needs a pickup point
        await checkout.place_order(rich["id"], [Line(item["sku"], 1)], delivery="pickup", request_key=key(),
                                   actor=rich["actor"])
    assert exc.value.field == "pickup_point"


@pytest.mark.req("MALL-06")
async def test_200_concurrent_checkouts_on_50_units_sell_exactly_50(db):
    item = await product(db, points_price=100, stock=50)
    buyers = [await buyer(db, f"conc_{i}", balance=100 if i % 10 else 50) for i in range(200)]  # every 10th too poor

    async def attempt(who):
        try:
            return await checkout.place_order(who["id"], [Line(item["sku"], 1)], delivery="express",
                                              request_key=key(), address_id=who["address"], actor=who["actor"])
        except Invalid as exc:
            return exc

    results = await asyncio.gather(*[attempt(w) for w in buyers])
    sold = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Invalid)]
    assert len(sold) == 50 and len(refused) == 150
    assert {r.field for r in refused} <= {"stock", "points"}
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 0
    assert await db.fetchval("SELECT count(*) FROM mall_order_item WHERE sku = $1", item["sku"]) == 50
    assert await db.fetchval("SELECT min(balance) FROM pts_account") >= 0
    assert await points.ledger_consistent() == []
    poor_ids = {w["id"] for i, w in enumerate(buyers) if i % 10 == 0}
    assert not {r["user"] for r in sold} & poor_ids  # the ones with too few points never bought


@pytest.mark.req("MALL-06", "MALL-08")
async def test_cash_order_waits_for_payment_and_pickup_order_gets_a_code(db):
    item = await product(db, points_price=100, cash=2500, stock=3)
    who = await buyer(db)
    order = await checkout.place_order(who["id"], [Line(item["sku"], 1)], delivery="express", request_key=key(),
                                       address_id=who["address"], actor=who["actor"])
    assert order["status"] == "pending_payment" and order["cash_total"] == 2500 and order["pay_deadline"]
    point = await db.fetchval("SELECT id FROM mall_pickup_point ORDER BY id LIMIT 1")
    free = await product(db, points_price=10, stock=3)
    pickup = await checkout.place_order(who["id"], [Line(free["sku"], 1)], delivery="pickup", request_key=key(),
                                        pickup_point_id=point, actor=who["actor"])
    assert pickup["status"] == "pending_shipment" and len(pickup["pickup_code"]) >= 8 and pickup["address"] == {}

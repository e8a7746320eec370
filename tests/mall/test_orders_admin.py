"""Admin orders (MALL-06/11): list with status tabs and filters, detail with timeline; ship (validated),
cancel with reason (confirmation page), pickup verification by code; buttons hidden and routes refused
without the permission; orders outside the viewer's data scope are invisible."""
import pytest

from app.core.security import hash_password
from app.mall import checkout
from app.mall.checkout import Line
from app.points import api as points
from tests.helpers import csrf_from
from tests.mall.factories import PASSWORD, buyer, key, product


async def _order(db, who, item, delivery="express"):
    point = await db.fetchval("SELECT id FROM mall_pickup_point ORDER BY id LIMIT 1")
    return await checkout.place_order(who["id"], [Line(item["sku"], 1)], delivery=delivery, request_key=key(),
                                      address_id=who["address"], pickup_point_id=point, actor=who["actor"])


async def _staff(db, username, perms, scope="all", org_code="HQ"):
    org = await db.fetchval("SELECT id FROM org_node WHERE code = $1", org_code)
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ($1, $1, $2, $3)"
                             " RETURNING id", f"r_{username}", ["sup.admin", *perms], scope)
    uid = await db.fetchval("INSERT INTO app_user (username, name, kind, org, password_hash) VALUES"
                            " ($1, $1, 'admin', $2, $3) RETURNING id", username, org, hash_password(PASSWORD))
    await db.execute("INSERT INTO user_role (\"user\", role) VALUES ($1, $2)", uid, role)


@pytest.mark.req("MALL-06")
async def test_list_filters_detail_ship_and_cancel(db, as_user):
    who = await buyer(db, "alumna_wang")
    item = await product(db, name="纪念章X", points_price=100, stock=5)
    first, second = await _order(db, who, item), await _order(db, who, item)
    client = await as_user("admin")
    listing = await client.get("/admin/mall/orders?status=pending_shipment&buyer=alumna")
    assert first["no"] in listing.text and second["no"] in listing.text and "纪念章X ×1" in listing.text
    assert "Print: Shipping labels 100×150" in listing.text
    other = await client.get(f"/admin/mall/orders?no={first['no']}")
    assert first["no"] in other.text and second["no"] not in other.text
    bad_date = await client.get("/admin/mall/orders?date_from=2026-13-01")
    assert "Enter a date as YYYY-MM-DD." in bad_date.text
    bulk = await client.post("/admin/mall/orders/print?kind=label100x150", data={
        "ids": [str(first["id"]), str(second["id"])], "_csrf_token": csrf_from(listing.text)})
    assert bulk.status_code == 303
    assert bulk.headers["location"] == f"/admin/mall/print?ids={first['id']}%2C{second['id']}&kind=label100x150"

    detail = await client.get(f"/admin/mall/orders/{first['id']}")
    assert "Mark as shipped" in detail.text and "同窗路 1 号" in detail.text and "Order placed" in detail.text
    token = csrf_from(detail.text)
    missing = await client.post(f"/admin/mall/orders/{first['id']}/ship", data={"carrier": "顺丰速运",
                                                                               "tracking_no": "", "_csrf_token": token})
    assert missing.status_code == 422 and "Enter the tracking number." in missing.text and "顺丰速运" in missing.text
    shipped = await client.post(f"/admin/mall/orders/{first['id']}/ship", data={
        "carrier": "顺丰速运", "tracking_no": "SF100200", "_csrf_token": token})
    assert shipped.status_code == 303
    after = await client.get(f"/admin/mall/orders/{first['id']}")
    assert "Pending receipt" in after.text and "SF100200" in after.text and "Mark as shipped" not in after.text

    confirm = await client.get(f"/admin/mall/orders/{second['id']}/cancel")
    no_reason = await client.post(f"/admin/mall/orders/{second['id']}/cancel",
                                  data={"reason": "", "_csrf_token": csrf_from(confirm.text)})
    assert no_reason.status_code == 422 and "Give a reason for cancelling." in no_reason.text
    done = await client.post(f"/admin/mall/orders/{second['id']}/cancel",
                             data={"reason": "库存盘点差异", "_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", second["id"]) == "cancelled"
    assert await points.balance(who["id"]) == 900


@pytest.mark.req("MALL-06", "MALL-08")
async def test_pickup_verification_page_by_code_or_qr_link(db, as_user):
    who = await buyer(db)
    item = await product(db, stock=5)
    order = await _order(db, who, item, delivery="pickup")
    client = await as_user("admin")
    unknown = await client.get("/admin/mall/pickup-verify?code=99999999")
    assert "No pickup order has this code." in unknown.text
    found = await client.get(f"/admin/mall/pickup-verify?code={order['pickup_code']}")
    assert order["no"] in found.text and "Hand over and confirm pickup" in found.text
    handed = await client.post("/admin/mall/pickup-verify", data={"code": order["pickup_code"],
                                                                  "_csrf_token": csrf_from(found.text)})
    assert handed.status_code == 303
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order["id"]) == "pending_review"
    again = await client.post("/admin/mall/pickup-verify", data={"code": order["pickup_code"],
                                                                 "_csrf_token": csrf_from(found.text)})
    assert again.status_code == 422 and "Pending review" in again.text


@pytest.mark.req("MALL-11")
async def test_buttons_hidden_and_routes_refused_without_permission_and_scope_applies(db, as_user):
    cs_buyer, bj_buyer = await buyer(db), await buyer(db)
    await db.execute("UPDATE app_user SET org = (SELECT id FROM org_node WHERE code = 'BJ') WHERE id = $1",
                     bj_buyer["id"])
    item = await product(db, stock=5)
    cs_order, bj_order = await _order(db, cs_buyer, item), await _order(db, bj_buyer, item)
    await _staff(db, "bj_viewer", ["mall.order.view"], scope="subtree", org_code="BJ")
    client = await as_user("bj_viewer", PASSWORD)
    listing = await client.get("/admin/mall/orders")
    assert bj_order["no"] in listing.text and cs_order["no"] not in listing.text
    assert "Print:" not in listing.text
    assert (await client.get(f"/admin/mall/orders/{cs_order['id']}")).status_code == 404
    detail = await client.get(f"/admin/mall/orders/{bj_order['id']}")
    assert detail.status_code == 200 and "Mark as shipped" not in detail.text and "Cancel order" not in detail.text
    token = csrf_from(detail.text)
    refused = await client.post(f"/admin/mall/orders/{bj_order['id']}/ship",
                                data={"carrier": "EMS", "tracking_no": "E1", "_csrf_token": token})
    assert refused.status_code == 403
    assert (await client.get(f"/admin/mall/orders/{bj_order['id']}/cancel")).status_code == 403
    assert (await client.get("/admin/mall/pickup-verify")).status_code == 403
    assert (await client.post("/admin/mall/orders/print", data={"ids": [str(bj_order["id"])],
                                                                "_csrf_token": token})).status_code == 403
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", bj_order["id"]) == "pending_shipment"

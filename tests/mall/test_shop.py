"""The H5 shop through HTTP (MALL-05/06/08): browse, search, product with SKUs, cart, buy now with
points, addresses with the region picker, orders list/detail; another buyer's order is 404."""
import re

import pytest

from app.points import api as points
from tests.helpers import csrf_from
from tests.mall.factories import PASSWORD, buyer, product

PHONE = {"user-agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0"}


async def _login(db, as_user, **kw):
    who = await buyer(db, password=True, **kw)
    client = await as_user(who["username"], PASSWORD)
    return who, client


@pytest.mark.req("MALL-05")
async def test_home_search_category_and_product_page(db, as_user):
    who, client = await _login(db, as_user)
    home = await client.get("/h5/mall", headers=PHONE)
    assert home.status_code == 200 and "校徽纪念章" in home.text and "Page 1 of 2" in home.text
    assert 'property="og:title" content="Points mall"' in home.text
    page2 = await client.get("/h5/mall?page=2")
    assert "地图手绘本" in page2.text and "Sold out" in page2.text
    found = await client.get("/h5/mall?q=卫衣")
    assert "校友卫衣" in found.text and "校徽纪念章" not in found.text
    books = await db.fetchval("SELECT id FROM mall_category WHERE name = '图书'")
    cat = await client.get(f"/h5/mall?category={books}")
    assert "校史" in cat.text and "卫衣" not in cat.text
    none = await client.get("/h5/mall?q=不存在的商品")
    assert "No products match" in none.text
    pid = await db.fetchval("SELECT id FROM mall_product WHERE name = '校友卫衣'")
    detail = await client.get(f"/h5/mall/products/{pid}")
    assert "尺码: L / 颜色: 藏青" in detail.text and "1200 points + ¥30.00" in detail.text
    off = await product(db, name="下架商品")
    await db.execute("UPDATE mall_product SET status = 'off_shelf' WHERE id = $1", off["id"])
    assert (await client.get(f"/h5/mall/products/{off['id']}")).status_code == 404


@pytest.mark.req("MALL-05", "MALL-06")
async def test_cart_add_change_remove_and_checkout_from_cart(db, as_user):
    who, client = await _login(db, as_user, balance=1000)
    start = await points.balance(who["id"])  # 1000 plus the daily-login points, when that rule is on
    item = await product(db, name="杯子", points_price=100, stock=5, specs=[{"颜色": "蓝"}, {"颜色": "白"}])
    url = f"/h5/mall/products/{item['id']}"
    page = await client.get(url)
    missing = await client.post(url, data={"qty": "2", "action": "cart", "_csrf_token": csrf_from(page.text)})
    assert missing.status_code == 422 and "Choose a specification." in missing.text and 'value="2"' in missing.text
    added = await client.post(url, data={"sku": str(item["skus"][1]), "qty": "2", "action": "cart",
                                         "_csrf_token": csrf_from(page.text)})
    assert added.status_code == 303
    cart = await client.get("/h5/mall/cart")
    assert "颜色: 白" in cart.text and "Total: 200 points" in cart.text
    token = csrf_from(cart.text)
    await client.post(f"/h5/mall/cart/{item['skus'][1]}", data={"qty": "3", "action": "update", "_csrf_token": token})
    assert "Total: 300 points" in (await client.get("/h5/mall/cart")).text
    checkout = await client.get("/h5/mall/checkout?from=cart")
    assert checkout.status_code == 200 and "同窗路 1 号" in checkout.text and "Free" in checkout.text
    placed = await client.post("/h5/mall/checkout", data={
        "from": "cart", "delivery": "express", "address": str(who["address"]), "action": "place",
        "request_key": re.search(r'name="request_key" value="(\w+)"', checkout.text).group(1),
        "_csrf_token": csrf_from(checkout.text)})
    assert placed.status_code == 303 and placed.headers["location"].startswith("/h5/mall/orders/")
    assert await points.balance(who["id"]) == start - 300
    assert "Your cart is empty." in (await client.get("/h5/mall/cart")).text
    detail = await client.get(placed.headers["location"])
    assert "Pending shipment" in detail.text and "Order placed" in detail.text and "杯子" in detail.text
    other, other_client = await _login(db, as_user)
    assert (await other_client.get(placed.headers["location"])).status_code == 404


@pytest.mark.req("MALL-06")
async def test_buy_now_refusal_keeps_choices_and_pickup_order_shows_qr(db, as_user):
    who, client = await _login(db, as_user, balance=50)
    item = await product(db, name="徽章", points_price=100, stock=5)
    page = await client.get(f"/h5/mall/products/{item['id']}")
    buy = await client.post(f"/h5/mall/products/{item['id']}", data={
        "sku": str(item["sku"]), "qty": "1", "action": "buy", "_csrf_token": csrf_from(page.text)})
    assert buy.status_code == 303 and buy.headers["location"] == f"/h5/mall/checkout?sku={item['sku']}&qty=1"
    checkout = await client.get(buy.headers["location"])
    assert "Not enough points for this order." in checkout.text
    refused = await client.post("/h5/mall/checkout", data={
        "sku": str(item["sku"]), "qty": "1", "delivery": "express", "address": str(who["address"]),
        "remark": "请包好", "request_key": "k-refused-1", "action": "place", "_csrf_token": csrf_from(checkout.text)})
    assert refused.status_code == 422 and "Not enough points" in refused.text and "请包好" in refused.text
    await points.earn(who["id"], 500, key=f"more-{who['id']}", reason="t")
    point = await db.fetchval("SELECT id FROM mall_pickup_point ORDER BY id LIMIT 1")
    placed = await client.post("/h5/mall/checkout", data={
        "sku": str(item["sku"]), "qty": "1", "delivery": "pickup", "pickup_point": str(point),
        "request_key": "k-pickup-1", "action": "place", "_csrf_token": csrf_from(checkout.text)})
    assert placed.status_code == 303
    detail = await client.get(placed.headers["location"])
    code = await db.fetchval("SELECT pickup_code FROM mall_order WHERE request_key = 'k-pickup-1'")
    assert code in detail.text and "<svg" in detail.text and "校友之家" in detail.text


@pytest.mark.req("MALL-06", "MALL-08")
async def test_address_book_with_region_picker_and_validation(db, as_user):
    who, client = await _login(db, as_user)
    form = await client.get("/h5/mall/addresses/new")
    token = csrf_from(form.text)
    step = await client.post("/h5/mall/addresses", data={"name": "李四", "phone": "13900000000", "province": "440000",
                                                        "detail": "深南大道 1 号", "action": "refresh",
                                                        "_csrf_token": token})
    assert step.status_code == 200 and 'value="440300"' in step.text and "深南大道 1 号" in step.text
    bad = await client.post("/h5/mall/addresses", data={"name": "李四", "phone": "abc", "province": "440000",
                                                       "region_code": "", "detail": "x", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter a valid phone number." in bad.text
    nocity = await client.post("/h5/mall/addresses", data={"name": "李四", "phone": "13900000000",
                                                          "province": "440000", "detail": "x", "_csrf_token": token})
    assert nocity.status_code == 422 and "Choose the city or district." in nocity.text
    ok = await client.post("/h5/mall/addresses", data={"name": "李四", "phone": "13900000000", "province": "440000",
                                                      "region_code": "440300", "detail": "深南大道 1 号",
                                                      "is_default": "on", "_csrf_token": token})
    assert ok.status_code == 303
    rows = await db.fetch("SELECT region_code, region_name, is_default FROM mall_address WHERE \"user\" = $1"
                          " ORDER BY id", who["id"])
    assert rows[1] == {"region_code": "440300", "region_name": "广东省 深圳市", "is_default": True}
    assert rows[0]["is_default"] is False
    options = await client.get("/h5/mall/regions?province=110000", headers={"hx-request": "true"})
    assert 'value="110108"' in options.text
    new_id = await db.fetchval("SELECT id FROM mall_address WHERE region_code = '440300' AND \"user\" = $1", who["id"])
    confirm = await client.get(f"/h5/mall/addresses/{new_id}/delete")
    assert "深南大道" in confirm.text
    gone = await client.post(f"/h5/mall/addresses/{new_id}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert gone.status_code == 303
    assert await db.fetchval("SELECT is_default FROM mall_address WHERE \"user\" = $1", who["id"]) is True


@pytest.mark.req("MALL-06")
async def test_cash_order_pay_page_and_forged_callback(db, as_user):
    who, client = await _login(db, as_user)
    item = await product(db, name="音箱", points_price=100, cash=5000, stock=2)
    checkout = await client.get(f"/h5/mall/checkout?sku={item['sku']}&qty=1")
    placed = await client.post("/h5/mall/checkout", data={
        "sku": str(item["sku"]), "qty": "1", "delivery": "express", "address": str(who["address"]),
        "request_key": "k-cash-1", "action": "place", "_csrf_token": csrf_from(checkout.text)})
    assert placed.status_code == 303 and placed.headers["location"].startswith("/pay/local/")
    pay = await client.get(placed.headers["location"])
    assert "¥50.00" in pay.text
    forged = await client.post("/pay/local/callback", data={"token": "x" + re.search(
        r'name="token" value="([^"]+)"', pay.text).group(1), "_csrf_token": csrf_from(pay.text)})
    assert forged.status_code == 403
    paid = await client.post("/pay/local/callback", data={"token": re.search(
        r'name="token" value="([^"]+)"', pay.text).group(1), "_csrf_token": csrf_from(pay.text)})
    assert paid.status_code == 303
    assert await db.fetchval("SELECT status FROM mall_order WHERE request_key = 'k-cash-1'") == "pending_shipment"


@pytest.mark.req("MALL-06")
async def test_order_list_tabs(db, as_user):
    from app.mall import checkout
    from app.mall.checkout import Line
    from tests.mall.factories import key

    who, client = await _login(db, as_user)
    item = await product(db, name="帽子", stock=3)
    order = await checkout.place_order(who["id"], [Line(item["sku"], 1)], delivery="express", request_key=key(),
                                       address_id=who["address"], actor=who["actor"])
    listing = await client.get("/h5/mall/orders?status=pending_shipment")
    assert f"/h5/mall/orders/{order['id']}" in listing.text and "帽子" in listing.text
    other = await client.get("/h5/mall/orders?status=completed")
    assert f"/h5/mall/orders/{order['id']}" not in other.text and "No orders here yet." in other.text


@pytest.mark.req("MALL-09")
async def test_review_form_creates_pending_review_shown_only_after_approval(db, as_user):
    from app.core.audit import SYSTEM
    from app.mall import checkout, orders
    from app.mall.checkout import Line
    from tests.mall.factories import key

    who, client = await _login(db, as_user)
    item = await product(db, name="笔记本", stock=3)
    order = await checkout.place_order(who["id"], [Line(item["sku"], 1)], delivery="express", request_key=key(),
                                       address_id=who["address"], actor=who["actor"])
    await orders.ship(order["id"], SYSTEM, "EMS", "E100")
    detail = await client.get(f"/h5/mall/orders/{order['id']}")
    assert "E100" in detail.text and f"/h5/mall/orders/{order['id']}/receive" in detail.text
    confirm = await client.get(f"/h5/mall/orders/{order['id']}/receive")
    await client.post(f"/h5/mall/orders/{order['id']}/receive", data={"_csrf_token": csrf_from(confirm.text)})
    item_id = await db.fetchval("SELECT id FROM mall_order_item WHERE \"order\" = $1", order["id"])
    url = f"/h5/mall/orders/{order['id']}/items/{item_id}/review"
    form = await client.get(url)
    bad = await client.post(url, data={"stars": "9", "text": "很好用", "_csrf_token": csrf_from(form.text)})
    assert bad.status_code == 422 and "Choose 1 to 5 stars." in bad.text and "很好用" in bad.text
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
           b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    ok = await client.post(url, data={"stars": "4", "text": "很好用", "_csrf_token": csrf_from(form.text)},
                           files={"photos": ("a.png", png, "image/png")})
    assert ok.status_code == 303
    review = await db.fetchrow("SELECT id, status, stars, photos FROM mall_review WHERE order_item = $1", item_id)
    assert review["status"] == "pending" and review["stars"] == 4 and len(review["photos"]) == 1
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order["id"]) == "completed"
    assert "很好用" not in (await client.get(f"/h5/mall/products/{item['id']}")).text
    await db.execute("UPDATE mall_review SET status = 'approved' WHERE id = $1", review["id"])
    shown = await client.get(f"/h5/mall/products/{item['id']}")
    assert "很好用" in shown.text and "4.0 stars from 1 reviews" in shown.text

"""Buying with points on a phone inside WeChat (MALL-06/08): browse → product → choose a SKU → buy now →
add a delivery address (region picker) → confirm → the order is pending shipment and the balance
dropped. JS on (htmx loads the cities) and off (plain pages, "Show cities" button)."""
import pytest

from app.points import api as points
from e2e.helpers import log_in
from tests.mall.factories import PASSWORD, buyer


@pytest.mark.req("MALL-06", "MALL-08")
async def test_alumnus_buys_with_points_on_a_phone(phone, db):
    page = phone
    who = await buyer(db, f"shopper_{page.mode}", balance=1000, password=True, with_address=False)
    await log_in(page, who["username"], PASSWORD)
    start = await points.balance(who["id"])  # 1000 plus the daily-login points, when that rule is on

    # 1. browse: search the shop, open the product
    await page.goto("/h5/mall")
    await page.fill("#f-q", "保温杯")
    await page.click("form.mall-search button[type=submit]")
    await page.locator(".mall-grid a:has-text('同窗保温杯')").click()
    await page.wait_for_selector("form.mall-buy")

    # 2. choose the white one and buy now
    await page.locator("label.mall-sku:has-text('白') input[type=radio]").check()
    await page.click("form.mall-buy button[value=buy]")
    await page.wait_for_selector("#checkout-form")

    # 3. no address yet: add one with the region picker, come back to checkout
    await page.click("#checkout-form a[href^='/h5/mall/addresses/new']")
    await page.fill("#f-name", "王同学")
    await page.fill("#f-phone", "13812345678")
    await page.select_option("#f-province", "110000")
    if page.mode == "nojs":
        await page.click("button.mall-refresh")
    await page.wait_for_selector("#f-region_code option[value='110108']", state="attached")
    await page.select_option("#f-region_code", "110108")
    await page.fill("#f-detail", "同窗路 8 号 3 单元")
    await page.click("form button[value=save]")
    await page.wait_for_selector("#checkout-form .mall-address:has-text('同窗路 8 号')")

    # 4. confirm: the order page says pending shipment, the points are spent
    await page.click("#checkout-form button[value=place]")
    await page.wait_for_selector(".mall-status-pending_shipment")
    order = await db.fetchrow("SELECT id, status, points_total, address FROM mall_order WHERE \"user\" = $1",
                              who["id"])
    assert order["status"] == "pending_shipment" and order["points_total"] == 680
    assert "北京市" in order["address"] and "同窗路 8 号" in order["address"]
    assert page.url.endswith(f"/h5/mall/orders/{order['id']}")
    assert await points.balance(who["id"]) == start - 680
    await page.goto("/h5/mall/orders?status=pending_shipment")
    assert await page.locator(f".mall-orders a[href='/h5/mall/orders/{order['id']}']").count() == 1

"""An unpaid order cancels itself (MALL-06): an alumnus on a phone orders a points + cash product, leaves
the pay page without paying; once the deadline passes the timeout job cancels the order, the stock and
the points come back, and the buyer's order page and points page say so — JS on and off."""
import pytest

from app.core import jobs
from app.points import api as points
from e2e.helpers import log_in
from tests.mall.factories import PASSWORD, buyer, product


@pytest.mark.req("MALL-06")
async def test_unpaid_order_cancels_and_returns_stock_and_points(phone, db):
    page = phone
    item = await product(db, name=f"校庆纪念徽章{page.mode}", points_price=300, cash=1500, stock=3)
    who = await buyer(db, f"unpaid_{page.mode}", balance=1000, password=True)
    await log_in(page, who["username"], PASSWORD)
    start = await points.balance(who["id"])  # 1000 plus the daily-login points, when that rule is on

    await page.goto(f"/h5/mall/products/{item['id']}")
    await page.click("form.mall-buy button[value=buy]")
    await page.wait_for_selector("#checkout-form")
    await page.click("#checkout-form button[value=place]")
    await page.wait_for_url("**/pay/local/*")
    order = await db.fetchrow("SELECT id, status FROM mall_order WHERE \"user\" = $1", who["id"])
    assert order["status"] == "pending_payment"
    assert await points.balance(who["id"]) == start - 300
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 2

    # the buyer walks away; the deadline passes and the scheduled job runs
    await db.execute("UPDATE mall_order SET pay_deadline = now() - interval '1 minute' WHERE id = $1", order["id"])
    await jobs.enqueue("mall.order_timeouts", {})
    await jobs.drain()

    await page.goto(f"/h5/mall/orders/{order['id']}")
    await page.wait_for_selector(".mall-status-cancelled")
    assert await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", item["sku"]) == 3
    assert await points.balance(who["id"]) == start
    await page.goto("/h5/points")
    assert await page.locator(".pts-balance").get_attribute("data-balance") == str(start)

"""Browser flow (MALL-06, MALL-07): staff open an order pending shipment, ship it with carrier and tracking
number, and print its 100×150 mm shipping label from the order page — JS on and off."""
import io
import re

import pytest
from pypdf import PdfReader

from e2e.helpers import BOTH, log_in
from tests.mall.test_printing import make_orders, size_mm


@pytest.mark.req("MALL-06")
@pytest.mark.req("MALL-07")
@BOTH
async def test_ship_then_print_shipping_label(page, mode, db):
    (order_id,) = await make_orders(db, 1)
    no = await db.fetchval("SELECT no FROM mall_order WHERE id = $1", order_id)
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/mall/orders")
    await page.click(f"a[href='/admin/mall/orders/{order_id}']")
    await page.wait_for_selector("form.mall-ship")
    await page.fill("#f-carrier", "顺丰速运")
    await page.fill("#f-tracking_no", "SF1234567890")
    await page.click("form.mall-ship button[type=submit].primary")
    await page.wait_for_load_state("networkidle")
    await page.wait_for_url(re.compile(rf"/admin/mall/orders/{order_id}$"))
    assert await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order_id) == "pending_receipt"
    assert "SF1234567890" in await page.content()

    link = page.locator(f"a[href='/admin/mall/print?ids={order_id}&kind=label100x150']")
    href = await link.get_attribute("href")
    response = await page.request.get(href)  # the browser's session: what clicking the link downloads
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    doc = PdfReader(io.BytesIO(await response.body()))
    assert len(doc.pages) == 1 and size_mm(doc.pages[0]) == (100, 150)
    text = doc.pages[0].extract_text()
    assert no in text and "SF1234567890" in text

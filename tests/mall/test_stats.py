"""Mall statistics (MALL-10): totals, by status, by day/month, top products — sold = paid and not
cancelled; SVG charts on the page; xlsx export; only orders inside the viewer's scope."""
import io
from datetime import date, timedelta

import openpyxl
import pytest

from app.core.audit import SYSTEM, Actor
from app.core.permissions import Scope
from app.mall import stats


async def order(db, status: str, points: int, day: date, product: int | None, qty: int = 1, org_code: str = "CS"):
    user = await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")
    org = await db.fetchval("SELECT id FROM org_node WHERE code = $1", org_code)
    no = f"MS{day:%m%d}{points}{status[:3]}{qty}{org_code}"
    oid = await db.fetchval("INSERT INTO mall_order (no, \"user\", status, points_total, cash_total, request_key, org,"
                            " created_at) VALUES ($1, $2, $3, $4, 500, $1, $5, $6::date + time '10:00') RETURNING id",
                            no, user, status, points, org, day)
    await db.execute("INSERT INTO mall_order_item (\"order\", product, name, qty, price_points) VALUES"
                     " ($1, $2, (SELECT name FROM mall_product WHERE id = $2), $3, $4)", oid, product, qty,
                     points // qty)


@pytest.mark.req("MALL-10")
async def test_figures_by_status_period_and_top_products(db):
    await db.execute("DELETE FROM mall_order")
    a, b = [r["id"] for r in await db.fetch("SELECT id FROM mall_product ORDER BY id LIMIT 2")]
    today = date(2026, 11, 20)
    await order(db, "completed", 300, today, a, 3)
    await order(db, "pending_shipment", 200, today - timedelta(days=1), b, 1)
    await order(db, "pending_shipment", 100, today - timedelta(days=1), a, 1, "BJ")
    await order(db, "cancelled", 999, today, b, 5)
    await order(db, "pending_payment", 50, today, b, 1)
    period = stats.Period(today - timedelta(days=6), today, "day")
    overview = await stats.overview(SYSTEM, period)
    assert (overview["orders"], overview["sold"], overview["points"], overview["cancelled"]) == (5, 3, 600, 1)
    assert overview["cash"] == 1500
    series = await stats.by_period(SYSTEM, period)
    assert len(series) == 7 and [r["orders"] for r in series][-2:] == [2, 1] and series[-1]["points"] == 300
    by_status = {r["key"]: r["value"] for r in await stats.by_status(SYSTEM, period)}
    assert by_status["cancelled"] == 1 and by_status["pending_shipment"] == 2
    top = await stats.top_products(SYSTEM, period)
    assert top[0]["product"] == a and top[0]["qty"] == 4  # the cancelled 5 of b do not count
    monthly = await stats.by_period(SYSTEM, stats.Period(date(2026, 9, 1), today, "month"))
    assert [r["period"] for r in monthly] == ["2026-09", "2026-10", "2026-11"] and monthly[-1]["orders"] == 3


@pytest.mark.req("MALL-10")
async def test_page_charts_export_and_scope(as_user, db):
    await db.execute("DELETE FROM mall_order")
    product = await db.fetchval("SELECT id FROM mall_product ORDER BY id LIMIT 1")
    today = date.today()
    await order(db, "completed", 300, today, product, 2, "CS")
    await order(db, "completed", 700, today, product, 1, "BJ")
    client = await as_user("admin")
    page = await client.get("/admin/mall/stats")
    assert page.status_code == 200 and "<svg" in page.text and 'id="svg-orders' in page.text
    assert ">1000<" in page.text.replace(" ", "") or "1000" in page.text
    export = await client.get(f"/admin/mall/stats/export?start={today}&end={today}")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert any(r[0] == today.isoformat() and r[1] == 2 and r[2] == 1000 for r in rows)
    products = await client.get(f"/admin/mall/stats/export?what=products&start={today}&end={today}")
    assert products.status_code == 200
    # a viewer scoped to the CS subtree sees only orders of buyers there
    path = await db.fetchval("SELECT path FROM org_node WHERE code = 'CS'")
    viewer = Actor(1, "cs", scope=Scope(subtree_paths=(path,)))
    scoped = await stats.overview(viewer, stats.Period(today, today))
    assert scoped["points"] == 300 and scoped["sold"] == 1

"""Statistics (REC-17): the numbers equal plain SQL counts, follow the viewer's scope and clearance, the
page shows charts without JS, and the numbers export as xlsx."""
import io

import pytest
from openpyxl import load_workbook

from app.core.audit import SYSTEM, Actor
from app.core.permissions import Scope
from app.records import api, stats

pytestmark = pytest.mark.req("REC-17")


async def _cs_actor(db) -> Actor:
    path = await db.fetchval("SELECT path FROM org_node WHERE code = 'CS'")
    return Actor(99, "cs", scope=Scope(subtree_paths=(path,)), perms=frozenset({"rec.stats.view", "rec.secrecy.1"}))


def _chart(data, key) -> dict:
    chart = next(c for c in data["charts"] if c.key == key)
    return {i["code"]: i["value"] for i in chart.items}


async def test_numbers_equal_sql_counts(db):
    data = await stats.overview(SYSTEM)
    active = "FROM rec_person p WHERE p.status = 'active'"
    assert data["totals"]["all"] == await db.fetchval(f"SELECT count(*) {active}")
    assert data["totals"]["key"] == await db.fetchval(f"SELECT count(*) {active} AND p.is_key")
    assert _chart(data, "kind") == {r["kind"]: r["n"] for r in await db.fetch(
        f"SELECT p.kind, count(*) AS n {active} GROUP BY 1")}
    assert _chart(data, "gender") == {r["gender"]: r["n"] for r in await db.fetch(
        f"SELECT p.gender, count(*) AS n {active} GROUP BY 1")}
    years = {str(r["y"]): r["n"] for r in await db.fetch(
        "SELECT e.entry_year AS y, count(DISTINCT e.person) AS n FROM rec_education e JOIN rec_person p"
        " ON p.id = e.person WHERE p.status = 'active' GROUP BY 1")}
    assert _chart(data, "entry_year") == years
    provinces = _chart(data, "region")
    beijing = await db.fetchval(f"SELECT count(*) {active} AND p.region LIKE '11%'")
    assert provinces.get("110000", 0) == beijing and beijing > 0  # 110100 (Beijing city) counted under 110000
    assert sum(provinces.values()) == data["totals"]["all"]
    colleges = _chart(data, "college")
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    assert colleges[str(cs)] == await db.fetchval(
        "SELECT count(DISTINCT e.person) FROM rec_education e JOIN rec_person p ON p.id = e.person"
        " WHERE p.status = 'active' AND e.college = $1", cs)


async def test_numbers_follow_scope_and_clearance(db):
    cs_actor = await _cs_actor(db)
    before_cs, before_all = await stats.overview(cs_actor), await stats.overview(SYSTEM)
    expected = await db.fetchval(
        "SELECT count(*) FROM rec_person p JOIN org_node o ON o.id = p.org WHERE p.status = 'active'"
        " AND o.path LIKE (SELECT path FROM org_node WHERE code = 'CS') || '%' AND p.secrecy <= 1")
    assert before_cs["totals"]["all"] == expected < before_all["totals"]["all"]
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    assert set(_chart(before_cs, "college")) == {str(cs)}  # demo CS records studied in CS only

    em = await db.fetchval("SELECT id FROM org_node WHERE code = 'EM'")
    await api.create_person(SYSTEM, {"name": "统计甲", "org": em, "gender": "1"})
    await api.create_person(SYSTEM, {"name": "统计乙", "org": cs, "gender": "2", "secrecy": 3})  # above clearance
    await api.create_person(SYSTEM, {"name": "统计丙", "org": cs, "gender": "2", "region": "310101"})
    after_cs, after_all = await stats.overview(cs_actor), await stats.overview(SYSTEM)
    assert after_cs["totals"]["all"] == before_cs["totals"]["all"] + 1
    assert after_all["totals"]["all"] == before_all["totals"]["all"] + 3
    assert _chart(after_cs, "gender")["2"] == _chart(before_cs, "gender")["2"] + 1
    assert _chart(after_cs, "region")["310000"] == _chart(before_cs, "region").get("310000", 0) + 1


async def test_page_and_export_as_college_admin(as_user, db):
    client = await as_user("cs_admin")
    page = await client.get("/admin/records/stats")
    assert page.status_code == 200
    for key in stats.CHARTS:
        assert f'id="chart-{key}"' in page.text
    assert "<svg" in page.text and "<script" not in page.text.split("<main", 1)[-1]
    cs_total = (await stats.overview(await _cs_actor(db)))["totals"]["all"]
    assert f"{cs_total:,}" in page.text

    response = await client.get("/admin/records/stats/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("Exported by")  # watermark
    assert rows[1][:4] == ("Statistic", "Item", "Code", "Count")
    totals = {r[2]: r[3] for r in rows[2:] if r[0] == "Totals"}
    assert totals["all"] == cs_total


async def test_stats_needs_its_permission(as_user, db):
    client = await as_user("bj_admin")
    assert (await client.get("/admin/records/stats")).status_code == 403
    assert (await client.get("/admin/records/stats/export.xlsx")).status_code == 403

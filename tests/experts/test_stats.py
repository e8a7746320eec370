"""Expert statistics (EXP-18) and the monthly per-department report (EXP-19): the figures equal a direct count
of the rows, month boundaries are Beijing time, and a department admin sees only the departments inside their
data scope — on the page, in the xlsx and in the PDF (which carries real, searchable Chinese text)."""
import io
from datetime import date

import openpyxl
import pytest
from pypdf import PdfReader

from app.core.audit import SYSTEM
from app.experts import experts, monthly_report, stats
from tests.experts.helpers import make_fields
from tests.helpers import dark_pixels, first_page_gray


async def _invite(db, expert: int, project: str, opens_at: str, status: str = "invited",
                  department: int | None = None, fee: int | None = None, fee_status: str = "confirmed") -> int:
    invitation = await db.fetchval(
        "INSERT INTO exp_invitation (expert, project_ref, project_title, department, opens_at, status)"
        " VALUES ($1, $2, $2, $3, $4::text::timestamptz, $5) RETURNING id", expert, project, department, opens_at,
        status)
    if fee is not None:
        await db.execute("INSERT INTO exp_fee (invitation, amount_cents, status) VALUES ($1, $2, $3)", invitation, fee,
                         fee_status)
    return invitation


async def _pool(db) -> dict:
    await db.execute("DELETE FROM exp_expert")  # the demo experts of the baseline: counts below are exact
    f = await make_fields()
    a = await experts.create(SYSTEM, {"name": "甲", "phone": "17712000001", "fields": [f["leaf"], f["other"]],
                                      "industry": "建筑业", "region": "北京", "title": "高级工程师"})
    b = await experts.create(SYSTEM, {"name": "乙", "phone": "17712000002", "fields": [f["mid"], f["top"]],
                                      "industry": "建筑业", "region": "上海", "title": "教授"})
    c = await experts.create(SYSTEM, {"name": "丙", "phone": "17712000003", "region": "北京"})
    d = await experts.create(SYSTEM, {"name": "丁", "phone": "17712000004", "industry": "金融业"})
    e = await experts.create(SYSTEM, {"name": "戊", "phone": "17712000005", "fields": [f["other"]]})
    await experts.set_status(SYSTEM, d, "deleted", "重复")
    await experts.set_status(SYSTEM, e, "blacklisted", "不公正")
    return {"fields": f, "a": a, "b": b, "c": c, "d": d, "e": e}


@pytest.mark.req("EXP-20")
async def test_statistics_equal_a_direct_count(as_user, db):
    pool = await _pool(db)
    for n in range(7):
        await _invite(db, pool["a"], f"manual:{n}", f"{date.today().isoformat()} 09:00+08")
    await _invite(db, pool["a"], "manual:x", f"{date.today().isoformat()} 09:00+08", "cancelled")
    await _invite(db, pool["b"], "manual:1", "now", "accepted")
    await _invite(db, pool["b"], "manual:2", "now", "declined")
    await _invite(db, pool["c"], "manual:old", "2020-01-01 09:00+08", "attended")  # long ago: not active
    data = await stats.overview()
    charts = {c.key: {i["label"]: i["value"] for i in c.items} for c in data["charts"]}
    assert charts["field"] == {"工程技术": 2, "信息技术": 1, "No field": 1}  # 乙 counted once under 工程技术
    direct = await db.fetch("SELECT industry, count(*) AS n FROM exp_expert WHERE status = 'formal' GROUP BY 1")
    assert charts["industry"] == {(r["industry"] or "Not filled"): r["n"] for r in direct}
    assert charts["region"] == {"北京": 2, "上海": 1}
    assert charts["title"] == {"高级工程师": 1, "教授": 1, "Not filled": 1}
    assert charts["status"] == {"Formal": 3, "Delete list": 1, "Blacklist": 1}
    assert charts["activity"] == {"0 invitations": 1, "1–2 invitations": 1, "3–5 invitations": 0, "6+ invitations": 1}
    assert data["totals"] == {"formal": 3, "deleted": 1, "blacklisted": 1, "active": 2}
    client = await as_user("admin")
    page = await client.get("/admin/experts/stats")
    assert page.status_code == 200 and "<svg" in page.text and 'id="svg-activity"' in page.text
    assert "工程技术" in page.text and "6+ invitations" in page.text
    export = await client.get("/admin/experts/stats/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[:3] == ["By field (level 1)", "工程技术", 2] for row in values)
    outsider = await as_user("bj_admin")  # no exp.stats.view
    assert (await outsider.get("/admin/experts/stats")).status_code == 403


async def _departments(db) -> dict:
    rows = await db.fetch("SELECT code, id, name FROM org_node WHERE code IN ('CS', 'EM', 'CS-2008-1', 'OFFICE')")
    return {r["code"]: r for r in rows}


async def _november(db) -> dict:
    pool, orgs = await _pool(db), await _departments(db)
    a, b, c = pool["a"], pool["b"], pool["c"]
    cs, em, cls = orgs["CS"]["id"], orgs["EM"]["id"], orgs["CS-2008-1"]["id"]
    await _invite(db, a, "reviews:1", "2026-10-31 16:30+00", "attended", cs, 80000)  # 1 Nov 00:30 in Beijing
    await _invite(db, b, "reviews:1", "2026-11-03 09:00+08", "accepted", cs, 50000, "pending")
    await _invite(db, c, "reviews:2", "2026-11-10 09:00+08", "declined", cs)
    await _invite(db, a, "reviews:3", "2026-11-12 09:00+08", "left", cls)
    await _invite(db, b, "reviews:4", "2026-11-20 09:00+08", "attended", em, 120000, "paid")
    await _invite(db, c, "reviews:4", "2026-11-20 09:00+08", "invited", em)
    await _invite(db, a, "manual:9", "2026-11-21 09:00+08", "accepted", None)
    await _invite(db, b, "reviews:5", "2026-11-30 16:30+00", "attended", cs, 99900)  # 1 Dec in Beijing
    return orgs


@pytest.mark.req("EXP-20")
async def test_monthly_report_figures_equal_a_direct_count(as_user, db):
    orgs = await _november(db)
    data = await monthly_report.report(SYSTEM, monthly_report.parse_month("2026-11"))
    by_name = {r["name"]: r for r in data["rows"]}
    assert set(by_name) == {orgs["CS"]["name"], orgs["EM"]["name"], orgs["CS-2008-1"]["name"], "No department"}
    cs = by_name[orgs["CS"]["name"]]
    assert (cs["projects"], cs["invitations"], cs["accepted"], cs["declined"], cs["attended"], cs["experts"],
            cs["fees_cents"]) == (2, 3, 2, 1, 1, 3, 80000)
    em = by_name[orgs["EM"]["name"]]
    assert (em["projects"], em["invitations"], em["accepted"], em["attended"], em["fees_cents"]) == (1, 2, 1, 1, 120000)
    direct = await db.fetchrow(
        "SELECT count(*) AS invitations, count(DISTINCT project_ref) AS projects, count(DISTINCT expert) AS experts"
        " FROM exp_invitation WHERE (opens_at AT TIME ZONE 'Asia/Shanghai') >= '2026-11-01'"
        " AND (opens_at AT TIME ZONE 'Asia/Shanghai') < '2026-12-01'")
    assert data["totals"]["invitations"] == direct["invitations"] == 7
    assert data["totals"]["projects"] == direct["projects"] and data["totals"]["experts"] == direct["experts"]
    assert data["totals"]["fees_cents"] == await db.fetchval(
        "SELECT sum(f.amount_cents) FROM exp_fee f JOIN exp_invitation i ON i.id = f.invitation WHERE f.status IN"
        " ('confirmed', 'paid') AND (i.opens_at AT TIME ZONE 'Asia/Shanghai') >= '2026-11-01'"
        " AND (i.opens_at AT TIME ZONE 'Asia/Shanghai') < '2026-12-01'")
    december = await monthly_report.report(SYSTEM, monthly_report.parse_month("2026-12"))
    assert [r["invitations"] for r in december["rows"]] == [1]
    assert monthly_report.parse_month("").code == monthly_report.last_month().code  # default: last month
    client = await as_user("admin")
    page = await client.get("/admin/experts/stats/monthly?month=2026-11")
    assert page.status_code == 200 and 'id="svg-departments"' in page.text and "No department" in page.text
    assert "1,200.00" in page.text  # EM's fees in yuan
    fragment = await client.get("/admin/experts/stats/monthly?month=2026-12",
                                headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in fragment.text and 'id="report-month">2026-12<' in fragment.text
    bad = await client.get("/admin/experts/stats/monthly?month=2026-13")
    assert bad.status_code == 422 and "Enter a month as YYYY-MM" in bad.text


@pytest.mark.req("EXP-20")
async def test_department_admin_sees_only_their_own_in_page_xlsx_and_pdf(as_user, db, tmp_path):
    orgs = await _november(db)
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ('exp_dept_stats',"
                             " '部门专家统计', ARRAY['sup.admin', 'exp.stats.view'], 'subtree') RETURNING id")
    await db.execute('INSERT INTO user_role ("user", role) SELECT id, $1 FROM app_user WHERE username = \'cs_admin\'',
                     role)
    mine, theirs = orgs["CS"]["name"], orgs["EM"]["name"]
    inside = orgs["CS-2008-1"]["name"]  # a node inside the admin's subtree
    client = await as_user("cs_admin")
    page = await client.get("/admin/experts/stats/monthly?month=2026-11")
    assert page.status_code == 200
    assert mine in page.text and inside in page.text and theirs not in page.text and "No department" not in page.text
    assert "Only the departments inside your data scope are shown." in page.text
    export = await client.get("/admin/experts/stats/monthly.xlsx?month=2026-11")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    names = [row[0].value for row in sheet.iter_rows()]
    assert mine in names and inside in names and theirs not in names and "No department" not in names
    total = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Total")
    assert total[3] == 4  # invitations: CS 3 + CS-2008-1 1
    document = await client.get("/admin/experts/stats/monthly.pdf?month=2026-11")
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages)
    assert mine in text and inside in text and theirs not in text and "2026-11" in text
    assert dark_pixels(first_page_gray(document.content, tmp_path)) > 2000
    full = await (await as_user("admin")).get("/admin/experts/stats/monthly.pdf?month=2026-11")
    full_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(full.content)).pages)
    assert theirs in full_text and "No department" in full_text

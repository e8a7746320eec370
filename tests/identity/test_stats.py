"""Verification statistics (IDV-05): the funnel and the verified counts equal a direct count over idn_claim,
scoped to the viewer's colleges and filtered by period; the SVG charts render; the xlsx export is a real
workbook holding the same (scoped) numbers and needs idn.stats.export."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest

from tests.helpers import login
from tests.identity.test_claims import college_id, make_user

# (college, status, method, entry year, days ago)
CLAIMS = [("CS", "verified", "id_match", 2008, 3), ("CS", "verified", "questions", 2008, 5),
          ("CS", "verified", "manual", 2010, 40), ("CS", "rejected", "", 2011, 2), ("CS", "pending", "", 2012, 1),
          ("EM", "verified", "face", 2009, 4), ("EM", "verified", "id_match", 2009, 100),
          ("EM", "withdrawn", "", None, 6), ("FL", "questions", "", 2015, 1)]


async def seed_claims(db) -> None:
    for code, status, method, year, days in CLAIMS:
        _username, user_id = await make_user()
        await db.execute(
            "INSERT INTO idn_claim (\"user\", kind, name, college, entry_year, status, method, created_at, verified_at)"
            " VALUES ($1, 'alumnus', '统计', $2, $3, $4::varchar, $5, now() - make_interval(days => $6),"
            " CASE WHEN $4::varchar = 'verified' THEN now() END)", user_id, await college_id(db, code), year, status,
            method, days)


async def direct(db, where: str = "TRUE", *args) -> dict:
    """The numbers straight from idn_claim (c), for comparing with the page."""
    row = await db.fetchrow(
        "SELECT count(*) AS opened, count(*) FILTER (WHERE status = 'verified' AND method = 'id_match') AS id_match,"
        " count(*) FILTER (WHERE status = 'verified' AND method = 'questions') AS questions,"
        " count(*) FILTER (WHERE status = 'verified' AND method = 'face') AS face,"
        " count(*) FILTER (WHERE status = 'verified' AND method = 'manual') AS manual,"
        " count(*) FILTER (WHERE status = 'rejected') AS rejected,"
        " count(*) FILTER (WHERE status = 'pending') AS pending"
        f" FROM idn_claim c WHERE {where}", *args)
    return dict(row)


def table_numbers(html: str, table: str) -> dict[str, int]:
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    return {code: int(value.replace(",", "")) for code, value in
            re.findall(r'<tr data-code="([^"]*)"><td>[^<]*</td><td class="num">([\d,]+)</td></tr>', body)}


CS_SCOPE = "c.college IN (SELECT id FROM org_node WHERE path LIKE (SELECT path FROM org_node WHERE code = 'CS') || '%')"


@pytest.mark.req("IDV-05")
async def test_stats_equal_a_direct_count_and_are_scoped(client, db):
    await seed_claims(db)
    await login(client, "hq", "Demo2026pass")
    page = await client.get("/admin/identity/stats")
    assert page.status_code == 200 and page.text.count("<svg") >= 4
    everything = await direct(db)
    funnel = table_numbers(page.text, "funnel")
    assert {k: funnel[k] for k in everything} == everything
    by_method = table_numbers(page.text, "method")
    assert by_method == {k: everything[k] for k in ("id_match", "questions", "face", "manual") if everything[k]}
    years = await db.fetch("SELECT entry_year, count(*) AS n FROM idn_claim WHERE status = 'verified' GROUP BY 1")
    assert table_numbers(page.text, "year") == {str(r["entry_year"] or ""): r["n"] for r in years}

    await login(client, "cs_admin", "Demo2026pass")
    page = await client.get("/admin/identity/stats")
    cs = await direct(db, CS_SCOPE)
    assert {k: table_numbers(page.text, "funnel")[k] for k in cs} == cs and cs["opened"] < everything["opened"]
    colleges = table_numbers(page.text, "college")
    assert set(colleges) == {"计算机科学与技术学院"} and colleges["计算机科学与技术学院"] == (
        cs["id_match"] + cs["questions"] + cs["face"] + cs["manual"])

    # the period: claims opened in the last 10 days
    start = (date.today() - timedelta(days=10)).isoformat()
    page = await client.get(f"/admin/identity/stats?start={start}")
    recent = await direct(db, f"{CS_SCOPE} AND created_at >= $1::date", date.fromisoformat(start))
    assert {k: table_numbers(page.text, "funnel")[k] for k in recent} == recent and recent["manual"] < cs["manual"]
    bad = await client.get("/admin/identity/stats?start=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


@pytest.mark.req("IDV-05")
async def test_export_is_a_real_scoped_xlsx(client, db):
    await seed_claims(db)
    await login(client, "cs_admin", "Demo2026pass")
    response = await client.get("/admin/identity/stats/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert "李计算" in str(rows[0][0])  # the watermark names who exported it
    assert rows[1] == ["Statistic", "Breakdown", "Count"]
    numbers = {(r[0], r[1]): r[2] for r in rows[2:]}
    cs = await direct(db, CS_SCOPE)
    assert numbers[("Verification funnel", "Claims opened")] == cs["opened"]
    assert numbers[("Verification funnel", "Approved in manual review")] == cs["manual"]
    assert not any(item == "经济与管理学院" for _section, item in numbers)  # EM is outside the scope
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'idn_stats' AND action = 'export'") == 1
    # without idn.stats.export (nor the page permission): 403
    await login(client, "liaison", "Demo2026pass")
    assert (await client.get("/admin/identity/stats/export.xlsx")).status_code == 403
    assert (await client.get("/admin/identity/stats")).status_code == 403


@pytest.mark.req("IDV-05", "IDV-02")
async def test_demo_funnel_is_idempotent_and_leaves_the_e2e_alumnus_unlinked(client, db):
    from app.identity import demo_claims
    from tests.identity.test_claims import answer, live_claim, submit_claim, truths

    await demo_claims.seed()
    before = await db.fetchval("SELECT count(*) FROM idn_claim")
    assert await demo_claims.seed() == 0 and await db.fetchval("SELECT count(*) FROM idn_claim") == before
    statuses = {r["status"]: r["n"] for r in await db.fetch("SELECT status, count(*) AS n FROM idn_claim"
                                                            " WHERE \"user\" IN (SELECT id FROM app_user"
                                                            " WHERE username LIKE 'idn\\_demo\\_%') GROUP BY 1")}
    assert sum(statuses.values()) >= 30 and statuses["pending"] == 3 and statuses["rejected"] >= 3
    methods = {r["method"] for r in await db.fetch("SELECT DISTINCT method FROM idn_claim WHERE status = 'verified'")}
    assert methods >= {"id_match", "questions", "face", "manual"}
    assert await db.fetchval("SELECT count(*) FROM todo WHERE kind = 'identity.claim' AND status = 'open'") >= 3
    assert await db.fetchval("SELECT count(*) FROM idn_claim c JOIN rec_person p ON p.id = c.person"
                             " WHERE c.status = 'verified' AND p.\"user\" IS DISTINCT FROM c.\"user\"") == 0
    record = await db.fetchrow("SELECT p.id, p.\"user\" FROM rec_person p JOIN rec_education e ON e.person = p.id"
                               " WHERE p.name = '张同学' AND e.student_no = '2008010101'")
    assert record["user"] is None
    alumnus = await db.fetchval("SELECT id FROM app_user WHERE username = 'alumnus'")
    assert await db.fetchval('SELECT count(*) FROM idn_claim WHERE "user" = $1', alumnus) == 0
    # the e2e story: 张同学 claims CS 2008, fails the questions once, passes the second time
    await login(client, "alumnus", "Demo2026pass")
    assert (await submit_claim(client, db, "张同学", entry_year=2008)).headers["location"] == "/h5/identity/questions"
    truth = truths("计算机科学与技术", "计算机2008级1班", 2012)
    await answer(client, truth, db, alumnus, wrong=True)
    await answer(client, truth, db, alumnus)
    claim = await live_claim(db, alumnus)
    assert (claim["status"], claim["method"], claim["person"]) == ("verified", "questions", record["id"])

"""Browser flow (REC-03, REC-10): a college admin sees only their college's alumni — in the list, in a
search for another college's alumnus by name, by direct URL and in an export; a record above their
secrecy clearance disappears from every one of those paths while the HQ admin still sees it."""
import re

import pytest

from e2e.helpers import BOTH, log_in, log_out

CS_PATH = "/1/3/%"  # 计算机科学与技术学院 subtree in the demo org tree


async def _listed_ids(page) -> set[int]:
    hrefs = await page.locator("#results table.data-table tbody a[href^='/admin/records/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return {int(m.group(1)) for h in hrefs if (m := re.fullmatch(r"/admin/records/(\d+)", h or ""))}


async def _export_csv(page, tmp_path, query: str) -> str:
    await page.goto(f"/admin/records/export?{query}")
    await page.check("#export-form input[name=format][value=csv]")
    async with page.expect_download() as info:
        await page.click("#export-form button[type=submit].primary")
    path = tmp_path / "export.csv"
    await (await info.value).save_as(path)
    return path.read_text("utf-8-sig")


@pytest.mark.req("REC-03")
@pytest.mark.req("REC-10")
@BOTH
async def test_college_admin_sees_only_their_college_and_clearance(page, mode, db, tmp_path):
    em = await db.fetchrow("SELECT p.id, p.name FROM rec_person p JOIN org_node o ON o.id = p.org"
                           " WHERE o.path LIKE '/1/4/%' AND p.status = 'active' ORDER BY p.id LIMIT 1")
    secret = await db.fetchrow("SELECT p.id, p.name FROM rec_person p JOIN org_node o ON o.id = p.org"
                               " WHERE o.path LIKE $1 AND p.status = 'active' ORDER BY p.id LIMIT 1", CS_PATH)
    await db.execute("UPDATE rec_person SET secrecy = 2, name = '保密校友甲',"
                     " name_terms = ARRAY['保','密','校','友','甲','保密','密校','校友','友甲']"
                     " WHERE id = $1", secret["id"])

    await log_in(page, "cs_admin", "Demo2026pass")
    await page.goto("/admin/records?per_page=100")
    listed = await _listed_ids(page)
    assert listed, "the college admin should see their own college's alumni"
    outside = await db.fetch("SELECT p.id FROM rec_person p JOIN org_node o ON o.id = p.org"
                             " WHERE p.id = ANY($1::bigint[]) AND o.path NOT LIKE $2", list(listed), CS_PATH)
    assert not outside and secret["id"] not in listed

    await page.goto(f"/admin/records?q={em['name']}")
    assert em["id"] not in await _listed_ids(page)
    await page.goto("/admin/records?q=保密校友甲")
    assert secret["id"] not in await _listed_ids(page)
    for person_id in (em["id"], secret["id"]):
        response = await page.goto(f"/admin/records/{person_id}")
        assert response.status == 404

    exported = await _export_csv(page, tmp_path, "")
    assert exported.count("\n") >= 2  # a header and rows
    assert "保密校友甲" not in exported
    em_names = {r["name"] for r in await db.fetch(
        "SELECT p.name FROM rec_person p JOIN org_node o ON o.id = p.org WHERE o.path LIKE '/1/4/%'")}
    cs_names = {r["name"] for r in await db.fetch(
        "SELECT p.name FROM rec_person p JOIN org_node o ON o.id = p.org WHERE o.path LIKE $1", CS_PATH)}
    assert not [n for n in em_names - cs_names if n in exported]
    await log_out(page)

    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/records?q=保密校友甲")
    assert secret["id"] in await _listed_ids(page)
    assert (await page.goto(f"/admin/records/{secret['id']}")).status == 200

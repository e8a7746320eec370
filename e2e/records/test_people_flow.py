"""Browser flow (REC-01, REC-03): an admin adds a person with an education record, changes the employer and
finds the change in the record's change log; a college admin opening another college's record sees
the not-found page."""
import re

import pytest

from e2e.helpers import BOTH, log_in, log_out, submit


@pytest.mark.req("REC-01")
@pytest.mark.req("REC-03")
@BOTH
async def test_add_edit_and_change_log(page, mode, db):
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/records")
    await page.click("a[href='/admin/records/new']")
    await page.wait_for_selector("form.person-form")
    await page.fill("#f-name", "浏览器校友")
    await page.select_option("#f-org", str(cs))
    await page.fill("#f-employer", "初始科技")
    await page.select_option("[name='edu.college']", str(cs))
    await page.fill("[name='edu.major']", "软件工程")
    await page.fill("[name='edu.entry_year']", "2012")
    await page.fill("[name='edu.grad_year']", "2016")
    await submit(page, "form.person-form")
    await page.wait_for_url(re.compile(r"/admin/records/\d+$"))
    person_id = int(page.url.rsplit("/", 1)[1])
    assert await db.fetchval("SELECT name FROM rec_person WHERE id = $1", person_id) == "浏览器校友"
    assert await db.fetchval("SELECT major FROM rec_education WHERE person = $1", person_id) == "软件工程"

    await page.click(f"a[href='/admin/records/{person_id}?tab=education']")
    await page.wait_for_selector("#tab-education")
    assert "软件工程" in await page.locator("#tab-education").inner_text()

    await page.click(f"a[href='/admin/records/{person_id}/edit']")
    await page.wait_for_selector("form.person-form")
    assert await page.input_value("#f-employer") == "初始科技"
    await page.fill("#f-employer", "后来集团")
    await submit(page, "form.person-form")
    await page.wait_for_url(re.compile(rf"/admin/records/{person_id}$"))
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", person_id) == "后来集团"

    await page.click(f"a[href='/admin/records/{person_id}?tab=changes']")
    await page.wait_for_selector("#tab-changes")
    log = await page.locator("#tab-changes").inner_text()
    assert "初始科技" in log and "后来集团" in log
    await log_out(page)

    await log_in(page, "cs_admin", "Demo2026pass")
    em_person = await db.fetchval("SELECT p.id FROM rec_person p JOIN org_node o ON o.id = p.org"
                                  " WHERE o.path LIKE '/1/4/%' AND p.status = 'active' LIMIT 1")
    em_name = await db.fetchval("SELECT name FROM rec_person WHERE id = $1", em_person)
    response = await page.goto(f"/admin/records/{em_person}")
    assert response.status == 404
    assert em_name not in await page.content()
    mine = await page.goto(f"/admin/records/{person_id}")
    assert mine.status == 200 and "浏览器校友" in await page.content()

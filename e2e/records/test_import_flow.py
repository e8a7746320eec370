"""Browser flow (REC-08): upload an xlsx with one bad row and one duplicate, choose skip for the
duplicate, commit, read the report, roll back — with JS and without."""
import pytest

from app.core import jobs
from app.core.audit import SYSTEM
from app.records import api
from e2e.helpers import BOTH, log_in
from tests.helpers import xlsx


async def existing(db) -> int:
    college = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    return await api.create_person(SYSTEM, {"name": "流程已有", "org": college, "id_number": "110105198001011111",
                                                "employer": "原单位"})


def workbook(path) -> str:
    path.write_bytes(xlsx([["Name", "ID number", "College", "Entry year", "Employer", "Birthday"],
                              ["流程新人", "", "CS", 2015, "某公司", "1997/5/6"],
                              ["流程已有", "110105198001011111", "CS", "", "新单位", ""],
                              ["流程坏行", "", "CS", "", "", "2001-13-45"]]))
    return str(path)


@pytest.mark.req("REC-08")
@BOTH
async def test_import_alumni_with_duplicate_and_roll_back(page, mode, tmp_path, db):
    person_id = await existing(db)
    upload = workbook(tmp_path / "alumni.xlsx")
    await log_in(page, "cs_admin", "Demo2026pass")
    await page.goto("/admin/imports/alumni")
    await page.wait_for_selector("#upload-form")
    await page.set_input_files("#f-file", upload)
    await page.click("#upload-form button[type=submit]")

    await page.wait_for_selector("#mapping-form")
    await page.click("#mapping-form button[type=submit]")
    await page.wait_for_selector("#progress[data-status=validated]")
    assert await page.locator("#count-errors").inner_text() == "1"
    assert await page.locator("#count-duplicates").inner_text() == "1"
    bad = page.locator("table.data-table tbody tr", has_text="流程坏行")
    assert "2001-13-45" in await bad.locator(".row-errors").inner_text()  # the page is in Chinese

    duplicate = page.locator("#duplicates-form tbody tr").first
    assert f"#{person_id}" in await duplicate.inner_text()
    await duplicate.locator("input[value=skip]").check()
    await page.click("#duplicates-form button[type=submit]")
    await page.wait_for_selector("#progress[data-status=validated]")
    await page.click("#commit-form button[type=submit]")

    await page.wait_for_selector("#progress[data-status=committing]")
    await jobs.drain()
    await page.wait_for_selector("#progress[data-status=committed]", timeout=20000)
    assert await page.locator("#count-imported").inner_text() == "1"
    assert await page.locator("#count-skipped").inner_text() == "1"
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE name = '流程新人'") == 1
    assert await db.fetchval("SELECT employer FROM rec_person WHERE id = $1", person_id) == "原单位"

    await page.click("#rollback-link")
    await page.wait_for_selector("section.confirm")
    await page.click("section.confirm button[type=submit]")
    await page.wait_for_selector("#progress[data-status=rolled_back]")
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE name = '流程新人'") == 0
    assert await db.fetchval("SELECT count(*) FROM rec_person WHERE id = $1", person_id) == 1

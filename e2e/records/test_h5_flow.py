"""Phone flow (REC-18): a college admin inside WeChat searches alumni, opens a record and adds a contact
log entry — with JavaScript on (htmx swaps the results) and off (plain pages)."""
import pytest

from e2e.helpers import log_in


@pytest.mark.req("REC-18")
async def test_search_detail_and_contact_log_on_a_phone(phone, db):
    page = phone
    person = await db.fetchrow(
        "SELECT p.id, p.name, e.entry_year FROM rec_person p JOIN rec_education e ON e.person = p.id"
        " JOIN org_node o ON o.id = e.college WHERE o.code = 'CS' AND p.secrecy = 0 AND p.status = 'active'"
        " ORDER BY p.id LIMIT 1")
    await log_in(page, "cs_admin", "Demo2026pass")

    # 1. combined search: college + entry year + name
    await page.goto("/h5/records")
    await page.fill("#f-q", person["name"])
    await page.select_option("#f-college", label="计算机科学与技术学院")
    await page.fill("#f-entry_year", str(person["entry_year"]))
    await page.click("form.rec-search button[type=submit]")
    link = page.locator(f".rec-results a[href='/h5/records/{person['id']}']")
    await link.wait_for()
    assert "entry_year=" in page.url  # the search lives in the URL (bookmarkable, shareable)

    # 2. the record's detail, all sections reachable on one page
    await link.click()
    await page.wait_for_selector("#contacts")
    assert person["name"] in await page.locator("h1.rec-name").inner_text()
    for anchor in ("basic", "education", "work", "interactions", "contacts", "classmates", "photos", "files"):
        assert await page.locator(f"#{anchor}").count() == 1

    # 3. a contact log entry from the phone
    await page.select_option("#f-method", "visit")
    await page.fill("#f-summary", f"走访校友（{page.mode}）")
    await page.click("form.rec-contact-form button[type=submit].primary")
    await page.wait_for_selector(f".rec-contacts li:has-text('走访校友（{page.mode}）')")
    row = await db.fetchrow("SELECT method, staff_name FROM rec_contact_log WHERE person = $1 AND summary = $2",
                            person["id"], f"走访校友（{page.mode}）")
    assert row is not None and (row["method"], row["staff_name"]) == ("visit", "cs_admin")
    assert page.url.split("#")[0].endswith(f"/h5/records/{person['id']}")

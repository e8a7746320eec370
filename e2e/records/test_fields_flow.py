"""Custom field flow (REC-02, REC-05, REC-10): an admin defines a field, finds it on the person forms,
fills it in for one alumnus, finds that alumnus with a combined query on the field, and exports the
field as a column."""
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from e2e.helpers import BOTH, log_in, submit


@pytest.mark.req("REC-02")
@pytest.mark.req("REC-05")
@pytest.mark.req("REC-10")
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
    assert response.status == 200 and "校友群" in await page.locator("form.person-form").inner_text()
    person = await db.fetchval("SELECT min(id) FROM rec_person")
    await page.goto(f"/h5/records/{person}/edit/basic")
    group = page.locator("label:has-text('校友群')")
    assert await group.count() >= 1
    assert await page.locator("[name='custom.alumni_group']").count() >= 1

    # fill it in for one alumnus through the admin edit form
    await page.goto(f"/admin/records/{person}/edit")
    await page.select_option("form.person-form [name='custom.alumni_group']", "I")
    await submit(page, "form.person-form")
    await page.wait_for_url(re.compile(rf"/admin/records/{person}$"))
    assert await db.fetchval("SELECT custom->>'alumni_group' FROM rec_person WHERE id = $1", person) == "I"

    # the combined query finds exactly that alumnus by the new field (the builder's bookmarkable URL)
    query = urlencode({"op": "and", "c-0-field": "alumni_group", "c-0-cmp": "eq", "c-0-value": "I"})
    await page.goto(f"/admin/records/query?{query}")
    links = await page.locator("#results table.data-table tbody a[href^='/admin/records/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert {h for h in links if re.fullmatch(r"/admin/records/\d+", h)} == {f"/admin/records/{person}"}

    # and the export offers it as a column, with the dictionary label as the value
    await page.goto(f"/admin/records/export?ids={person}")
    await page.check("#export-form input[name=cols][value=alumni_group]")
    await page.check("#export-form input[name=format][value=csv]")
    async with page.expect_download() as info:
        await page.click("#export-form button[type=submit].primary")
    path = await (await info.value).path()
    exported = Path(path).read_text(encoding="utf-8-sig")
    label = await db.fetchval("SELECT name FROM dict_item WHERE type_code = 'industry' AND code = 'I'")
    assert any("校友群" in line for line in exported.splitlines()[:2]) and label in exported  # header, value

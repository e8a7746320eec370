"""Browser flow (SUP-14): an admin renames a user, then finds that change in the audit log and sees the
value before and after."""
import pytest

from e2e.helpers import BOTH, log_in, submit


@pytest.mark.req("SUP-14")
@BOTH
async def test_admin_finds_a_user_edit_in_the_audit_log(page, mode, db):
    target = await db.fetchrow("SELECT u.id, u.name FROM app_user u JOIN org_node o ON o.id = u.org "
                               "WHERE o.code = 'EM' AND u.kind = 'alumni' ORDER BY u.id LIMIT 1")
    new_name = "审计" + target["name"]
    await log_in(page, "admin", "Tongchuang2026")

    # 1. rename the user on the edit page
    await page.goto(f"/admin/users/{target['id']}")
    await page.fill("#f-name", new_name)
    await submit(page, f"form[action='/admin/users/{target['id']}']")
    await page.wait_for_selector(".flash")  # "User saved." after the redirect
    assert await db.fetchval("SELECT name FROM app_user WHERE id = $1", target["id"]) == new_name
    entry = await db.fetchval("SELECT max(id) FROM audit_log WHERE entity = 'user' AND action = 'update' "
                              "AND entity_id = $1", str(target["id"]))
    assert entry

    # 2. find it in the audit log by entity and id
    await page.goto("/admin/audit")
    await page.fill("form.filter-bar input[name=entity_id]", str(target["id"]))
    await page.select_option("form.filter-bar select[name=entity]", "user")
    await page.click("form.filter-bar button[type=submit]")
    link = page.locator(f"#results a.audit-entry[href='/admin/audit/{entry}']")
    await link.wait_for()
    assert await page.locator("#results a.audit-entry").count() == 1
    if mode == "nojs":
        assert f"entity_id={target['id']}" in page.url  # the filter lives in the query string

    # 3. open it: the name row is marked as changed, with the old and the new value
    await link.click()
    await page.wait_for_selector("table.audit-diff")
    await page.wait_for_url(f"**/admin/audit/{entry}")  # with JS, htmx pushes the URL just after the swap
    name_row = page.locator("table.audit-diff tr.changed", has=page.locator("th", has_text="name"))
    assert await name_row.count() == 1
    assert await name_row.locator("td.before").inner_text() == target["name"]
    assert await name_row.locator("td.after").inner_text() == new_name
    assert await page.locator("table.audit-diff tr.same", has=page.locator("th", has_text="kind")).count() == 1

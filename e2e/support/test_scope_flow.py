"""Browser flow (SUP-01, SUP-03): admin creates an org node, a role limited to that subtree and a user;
that user sees only the subtree and a direct URL outside it is refused."""
import pytest

from e2e.helpers import BOTH, log_in, log_out, submit


@pytest.mark.req("SUP-01")
@pytest.mark.req("SUP-03")
@BOTH
async def test_subtree_role_limits_a_new_admin(page, mode, db):
    await log_in(page, "admin", "Tongchuang2026")
    # 1. an org node under the association
    await page.goto("/admin/orgs")
    await page.fill("#f-name", "杭州校友会")
    await page.fill("#f-code", "HZ")
    await page.select_option("#f-kind", "branch")
    await page.select_option("#f-parent", label="同窗大学校友总会")
    await submit(page, "form[action='/admin/orgs']")
    assert "杭州校友会" in await page.locator(".tree-panel").inner_text()
    hz = await db.fetchval("SELECT id FROM org_node WHERE code = 'HZ'")

    # 2. a role limited to that subtree
    await page.goto("/admin/roles/new")
    await page.fill("#f-code", "hz_admin")
    await page.fill("#f-name", "杭州管理员")
    await page.select_option("#f-data_scope", "subtree")
    await page.select_option("#f-scope_org", str(hz))
    for perm in ("sup.admin", "sup.user.view"):
        await page.check(f"input[name=permissions][value='{perm}']")
    await submit(page, "form[action='/admin/roles']")
    role_id = await db.fetchval("SELECT id FROM role WHERE code = 'hz_admin'")
    assert role_id and await db.fetchval("SELECT scope_org FROM role WHERE id = $1", role_id) == hz

    # 3. a user in that node holding the role
    await page.goto("/admin/users/new")
    await page.fill("#f-username", "hz1")
    await page.fill("#f-name", "杭州一号")
    await page.select_option("#f-org", str(hz))
    await page.select_option("#f-kind", "admin")
    await page.check(f"input[name=roles][value='{role_id}']")
    await page.fill("#f-password", "Hangzhou2026")
    await submit(page, "form[action='/admin/users']")
    assert await db.fetchval("SELECT org FROM app_user WHERE username = 'hz1'") == hz
    await log_out(page)

    # 4. the new admin sees only the subtree; a URL outside is 403
    await log_in(page, "hz1", "Hangzhou2026")
    await page.goto("/admin/users")
    rows = page.locator("table.data-table tbody tr")
    assert await rows.count() == 1 and "hz1" in await rows.first.inner_text()
    outsider = await db.fetchval("SELECT id FROM app_user WHERE username = 'cs_admin'")
    response = await page.goto(f"/admin/users/{outsider}")
    assert response.status == 403
    assert await page.locator("a[href='/admin/roles']").count() == 0  # menu hides what the role lacks
    response = await page.goto("/admin/roles")
    assert response.status == 403

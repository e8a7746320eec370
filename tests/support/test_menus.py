"""SUP-04 menus as data: the editor changes what each role's side menu shows; a custom entry with a
permission appears only for users holding it; built-in entries cannot be deleted."""
import re

import pytest

from tests.helpers import csrf_from, post_form


def _side_menu(html: str) -> str:
    match = re.search(r'<nav class="sidemenu".*?</nav>', html, re.S)
    return match.group(0) if match else ""


async def _switch(client, as_user, username: str):
    await post_form(client, "/admin", "/logout", {})
    return await as_user(username)


async def _menu_id(db, code: str) -> int:
    return await db.fetchval("SELECT id FROM menu WHERE code = $1", code)


@pytest.mark.req("SUP-04")
async def test_custom_entry_with_permission_appears_only_for_holders(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/menus")
    assert page.status_code == 200 and 'href="/admin/menus/' in page.text
    created = await post_form(client, "/admin/menus", "/admin/menus", {
        "code": "reports", "title": "投递报表", "url": "/admin/messages/deliveries?status=failed", "icon": "chart",
        "permission": "sup.delivery.view", "parent": await _menu_id(db, "security"), "sort": 9, "enabled": "on"})
    assert created.status_code == 303
    entry = await db.fetchrow("SELECT * FROM menu WHERE code = 'custom.reports'")
    assert entry["permission"] == "sup.delivery.view" and entry["parent"] == await _menu_id(db, "security")
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'menu' AND action = 'create'") == 1
    assert "投递报表" in _side_menu((await client.get("/admin")).text)  # superuser

    auditor = await _switch(client, as_user, "auditor")  # holds sup.delivery.view
    assert "投递报表" in _side_menu((await auditor.get("/admin")).text)
    for username in ("cs_admin", "liaison"):  # do not hold it
        other = await _switch(client, as_user, username)
        menu = _side_menu((await other.get("/admin")).text)
        assert menu and "投递报表" not in menu


@pytest.mark.req("SUP-04")
async def test_editing_a_declared_entry_changes_the_menu_of_that_role(as_user, db):
    users_entry = await _menu_id(db, "system.users")
    college = await as_user("cs_admin")
    assert 'href="/admin/users"' in _side_menu((await college.get("/admin")).text)
    client = await _switch(college, as_user, "admin")
    edit = await client.get(f"/admin/menus/{users_entry}")
    assert edit.status_code == 200 and 'value="/admin/users"' in edit.text
    assert f'href="/admin/menus/{users_entry}/delete"' not in edit.text  # built-in: disable, not delete
    saved = await post_form(client, f"/admin/menus/{users_entry}", f"/admin/menus/{users_entry}", {
        "title": "校友账号", "url": "/admin/users", "icon": "user", "permission": "sup.user.view",
        "parent": await _menu_id(db, "system"), "sort": 1})  # enabled unchecked
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT title, enabled, sort FROM menu WHERE id = $1", users_entry)
    assert (row["title"], row["enabled"], row["sort"]) == ("校友账号", False, 1)
    audit = await db.fetchrow("SELECT before, after FROM audit_log WHERE entity = 'menu' AND action = 'update'")
    assert '"Users"' in audit["before"] and '"校友账号"' in audit["after"]
    college = await _switch(client, as_user, "cs_admin")
    assert 'href="/admin/users"' not in _side_menu((await college.get("/admin")).text)
    assert (await college.get("/admin/users")).status_code == 200  # the menu hides; the page guard decides access
    assert (await college.get("/admin/menus")).status_code == 403


@pytest.mark.req("SUP-04")
async def test_bad_input_is_422_with_field_messages(as_user, db):
    client = await as_user("admin")
    bad_url = await post_form(client, "/admin/menus", "/admin/menus", {
        "code": "x", "title": "坏链接", "url": "javascript:alert(1)", "sort": 1, "enabled": "on"})
    assert bad_url.status_code == 422 and 'id="f-url-err"' in bad_url.text
    bad_perm = await post_form(client, "/admin/menus", "/admin/menus", {
        "code": "y", "title": "坏权限", "url": "/admin", "permission": "no.such.permission"})
    assert bad_perm.status_code == 422 and 'id="f-permission-err"' in bad_perm.text
    system = await _menu_id(db, "system")
    loop = await post_form(client, f"/admin/menus/{system}", f"/admin/menus/{system}", {
        "title": "System", "parent": await _menu_id(db, "system.users"), "sort": 900, "enabled": "on"})
    assert loop.status_code == 422 and 'id="f-parent-err"' in loop.text
    await post_form(client, "/admin/menus", "/admin/menus", {"code": "dup", "title": "甲", "url": "/admin"})
    dup = await post_form(client, "/admin/menus", "/admin/menus",
                          {"code": "custom.dup", "title": "乙", "url": "/admin"})
    assert dup.status_code == 422 and 'id="f-code-err"' in dup.text
    assert await db.fetchval("SELECT count(*) FROM menu WHERE code LIKE 'custom.%'") == 1


@pytest.mark.req("SUP-04")
async def test_custom_entries_are_deleted_through_a_confirm_page_built_ins_never(as_user, db):
    client = await as_user("admin")
    await post_form(client, "/admin/menus", "/admin/menus", {"code": "links", "title": "常用链接", "url": "https://www.example.edu/"})
    custom = await _menu_id(db, "custom.links")
    confirm = await client.get(f"/admin/menus/{custom}/delete")
    assert confirm.status_code == 200 and f'action="/admin/menus/{custom}/delete"' in confirm.text
    deleted = await client.post(f"/admin/menus/{custom}/delete", data={"_csrf_token": csrf_from(confirm.text)})
    assert deleted.status_code == 303
    assert await _menu_id(db, "custom.links") is None
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'menu' AND action = 'delete'") == 1
    built_in = await _menu_id(db, "system.roles")
    refused = await post_form(client, f"/admin/menus/{built_in}", f"/admin/menus/{built_in}/delete", {})
    assert refused.status_code == 303 and await _menu_id(db, "system.roles") == built_in

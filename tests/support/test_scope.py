"""SUP-01 org tree, SUP-03 roles + data scope enforced on the server, SUP-14 audit before/after."""
import json

import pytest

from tests.helpers import post_form


@pytest.mark.req("SUP-03")
async def test_college_admin_sees_only_own_subtree(as_user, db):
    client = await as_user("cs_admin")
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    em_user = await db.fetchval("SELECT u.id FROM app_user u JOIN org_node o ON o.id = u.org "
                                "WHERE o.code = 'EM' LIMIT 1")
    listing = await client.get("/admin/users?per_page=100")
    assert listing.status_code == 200
    orgs_shown = set(await db.fetchval(
        "SELECT array_agg(DISTINCT o.name) FROM app_user u JOIN org_node o ON o.id = u.org "
        "WHERE o.path LIKE (SELECT path FROM org_node WHERE id = $1) || '%'", cs))
    assert "经济与管理学院" not in listing.text.split("<tbody>")[1] if "<tbody>" in listing.text else True
    assert any(name in listing.text for name in orgs_shown)
    direct = await client.get(f"/admin/users/{em_user}")
    assert direct.status_code == 403


@pytest.mark.req("SUP-03")
async def test_missing_permission_is_403_and_hidden_from_menu(as_user):
    client = await as_user("liaison")
    page = await client.get("/admin")
    assert page.status_code == 200
    assert 'href="/admin/users"' not in page.text and 'href="/admin/roles"' not in page.text
    assert (await client.get("/admin/users")).status_code == 403
    assert (await client.get("/admin/roles")).status_code == 403


@pytest.mark.req("SUP-01")
async def test_create_move_and_scope_of_org_nodes(as_user, db):
    client = await as_user("admin")
    hq = await db.fetchval("SELECT id FROM org_node WHERE code = 'HQ'")
    created = await post_form(client, "/admin/orgs", "/admin/orgs",
                              {"name": "人工智能学院", "code": "AI", "kind": "college", "parent": hq, "sort": 5,
                               "enabled": "on"})
    assert created.status_code == 303
    ai = await db.fetchrow("SELECT * FROM org_node WHERE code = 'AI'")
    assert ai["path"] == f"/{hq}/{ai['id']}/" and ai["depth"] == 1
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    sub = await post_form(client, "/admin/orgs", "/admin/orgs",
                          {"name": "AI 2024级1班", "code": "AI-2024-1", "kind": "class", "parent": ai["id"],
                           "enabled": "on"})
    assert sub.status_code == 303
    moved = await post_form(client, f"/admin/orgs?node={ai['id']}", f"/admin/orgs/{ai['id']}",
                            {"name": "人工智能学院", "code": "AI", "kind": "college", "parent": cs, "enabled": "on"})
    assert moved.status_code == 303
    child = await db.fetchrow("SELECT path, depth FROM org_node WHERE code = 'AI-2024-1'")
    assert child["path"].startswith(f"/{hq}/{cs}/{ai['id']}/") and child["depth"] == 3
    loop = await post_form(client, f"/admin/orgs?node={cs}", f"/admin/orgs/{cs}",
                           {"name": "计算机科学与技术学院", "code": "CS", "kind": "college",
                            "parent": (await db.fetchval("SELECT id FROM org_node WHERE code = 'AI-2024-1'")),
                            "enabled": "on"})
    assert loop.status_code == 422


@pytest.mark.req("SUP-03")
async def test_role_limited_to_subtree_then_user_cannot_open_outside(as_user, db, client):
    admin = await as_user("admin")
    hq = await db.fetchval("SELECT id FROM org_node WHERE code = 'HQ'")
    await post_form(admin, "/admin/orgs", "/admin/orgs", {"name": "广州校友会", "code": "GZ", "kind": "branch",
                                                           "parent": hq, "enabled": "on"})
    gz = await db.fetchval("SELECT id FROM org_node WHERE code = 'GZ'")
    role = await post_form(admin, "/admin/roles/new", "/admin/roles",
                           {"code": "gz_admin", "name": "广州管理员", "data_scope": "subtree", "scope_org": gz,
                            "permissions": ["sup.admin", "sup.user.view", "sup.user.create"]})
    assert role.status_code == 303
    role_id = await db.fetchval("SELECT id FROM role WHERE code = 'gz_admin'")
    made = await post_form(admin, "/admin/users/new", "/admin/users",
                           {"username": "gz1", "name": "广州甲", "kind": "admin", "org": gz, "roles": [str(role_id)],
                            "is_active": "on", "password": "Guangzhou2026"})
    assert made.status_code == 303, made.text[:300]
    await post_form(admin, "/admin", "/logout", {})
    gz_client = await as_user("gz1", "Guangzhou2026")
    outsider = await db.fetchval("SELECT id FROM app_user WHERE username = 'cs_admin'")
    assert (await gz_client.get(f"/admin/users/{outsider}")).status_code == 403
    own = await db.fetchval("SELECT id FROM app_user WHERE username = 'gz1'")
    assert (await gz_client.get(f"/admin/users/{own}")).status_code == 200
    listing = await gz_client.get("/admin/users")
    assert "cs_admin" not in listing.text and "gz1" in listing.text


@pytest.mark.req("SUP-03")
async def test_admin_cannot_grant_permissions_they_do_not_hold(as_user, db):
    client = await as_user("cs_admin")
    hq_role = await db.fetchval("SELECT id FROM role WHERE code = 'hq_admin'")
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    response = await post_form(client, "/admin/users/new", "/admin/users",
                               {"username": "escalate", "name": "提权", "kind": "admin", "org": cs,
                                "roles": [str(hq_role)], "is_active": "on"})
    assert response.status_code == 422
    assert await db.fetchval("SELECT count(*) FROM app_user WHERE username = 'escalate'") == 0


@pytest.mark.req("SUP-14")
async def test_user_edit_is_audited_with_before_and_after(as_user, db):
    client = await as_user("admin")
    target = await db.fetchrow("SELECT * FROM app_user WHERE username = 'bj_admin'")
    response = await post_form(client, f"/admin/users/{target['id']}", f"/admin/users/{target['id']}",
                               {"name": "陈北京改", "email": target["email"], "phone": target["phone"] or "",
                                "org": target["org"], "kind": "admin", "is_active": "on", "roles": []})
    assert response.status_code == 303
    row = await db.fetchrow("SELECT * FROM audit_log WHERE entity = 'user' AND entity_id = $1 AND action = 'update'",
                            str(target["id"]))
    before, after = json.loads(row["before"]), json.loads(row["after"])
    assert before["name"] == "陈北京" and after["name"] == "陈北京改" and row["actor_name"] == "admin"
    assert row["ip"] == "127.0.0.1"


@pytest.mark.req("SUP-16")
async def test_masked_fields_and_audited_unmask(as_user, db):
    client = await as_user("cs_admin")  # may see names, not phones
    target = await db.fetchrow("SELECT id, phone FROM app_user WHERE username = 'liaison'")
    page = await client.get(f"/admin/users/{target['id']}")
    assert target["phone"] not in page.text and target["phone"][:3] + "****" in page.text
    assert "Reveal" not in page.text and "显示" not in page.text  # no unmask permission
    denied = await post_form(client, f"/admin/users/{target['id']}", f"/admin/users/{target['id']}/unmask/phone", {})
    assert denied.status_code == 403
    admin = await as_user("admin")
    shown = await post_form(admin, f"/admin/users/{target['id']}", f"/admin/users/{target['id']}/unmask/phone", {})
    assert target["phone"] in shown.text
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'unmask' AND summary = 'phone'") == 1


@pytest.mark.req("SUP-17")
async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] is True

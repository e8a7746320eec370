"""Org admins (ORG-10): HQ appoints a member as an org's admin → a role of that org whose data scope is the org's
node; the appointed admin sees only their org, and another org's id in a URL is 403 and audited (desktop and phone
pages, reads and writes); HQ sets the admins' extra functions and revokes appointments."""
import pytest

from tests.helpers import csrf_from, login, post_form
from tests.orgs.factories import PASSWORD, add_member, make_user, org_id

FRAGMENT = {"hx-request": "true", "hx-target": "results"}


async def appoint(client, org: int, uid: int):
    return await post_form(client, f"/admin/associations/{org}/admins", f"/admin/associations/{org}/admins",
                           {"user": str(uid)})


@pytest.mark.req("ORG-10")
async def test_appointment_gives_a_scoped_admin_who_sees_only_their_org(client, db):
    sh = await org_id(db, "sh")
    bj = await org_id(db, "bj")
    username, uid = await make_user("上海管理员")
    await add_member(sh, uid)
    await login(client, "hq", PASSWORD)
    done = await appoint(client, sh, uid)
    assert done.status_code == 303
    role = await db.fetchrow("SELECT r.* FROM role r JOIN user_role ur ON ur.role = r.id WHERE ur.\"user\" = $1", uid)
    assert role["code"] == f"orgs.admin.{sh}" and role["data_scope"] == "subtree"
    assert role["scope_org"] == await db.fetchval("SELECT node FROM orgs_org WHERE id = $1", sh)
    assert "orgs.org.manage" in role["permissions"] and "orgs.org.admin" not in role["permissions"]
    assert await db.fetchval("SELECT role FROM orgs_member WHERE org = $1 AND \"user\" = $2", sh, uid) == "admin"
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'orgs_admin_appointed'", uid) == 1

    await login(client, username, PASSWORD)
    listing = await client.get("/admin/associations", headers=FRAGMENT)
    assert listing.status_code == 200 and "上海校友会" in listing.text and "北京校友会" not in listing.text
    assert (await client.get(f"/admin/associations/{sh}/members")).status_code == 200
    assert (await client.get(f"/h5/orgs/admin/{sh}")).status_code == 200
    for url in (f"/admin/associations/{bj}", f"/admin/associations/{bj}/members", f"/admin/associations/{bj}/council",
                f"/admin/associations/{bj}/news", f"/h5/orgs/admin/{bj}", f"/admin/associations/{sh}/admins"):
        assert (await client.get(url)).status_code == 403, url
    page = await client.get(f"/admin/associations/{sh}")
    posted = await client.post(f"/admin/associations/{bj}/members", data={"login": username,
                                                                         "_csrf_token": csrf_from(page.text)})
    assert posted.status_code == 403
    assert not await db.fetchval("SELECT 1 FROM orgs_member WHERE org = $1 AND \"user\" = $2", bj, uid)
    refused = await db.fetch("SELECT entity_id, summary FROM audit_log WHERE actor_id = $1 AND action = 'refused'"
                             " AND entity = 'orgs_org'", uid)
    assert {r["entity_id"] for r in refused} == {str(bj), str(sh)}  # sh: the HQ-only admins page
    assert len(refused) >= 6


@pytest.mark.req("ORG-10")
async def test_only_members_can_be_appointed_and_revoking_takes_the_rights_away(client, db):
    sh = await org_id(db, "sh")
    username, uid = await make_user("非成员")
    await login(client, "hq", PASSWORD)
    refused = await appoint(client, sh, uid)
    assert refused.status_code == 422
    await add_member(sh, uid)
    assert (await appoint(client, sh, uid)).status_code == 303
    confirm = await client.get(f"/admin/associations/{sh}/admins/{uid}/revoke")
    assert confirm.status_code == 200
    revoked = await client.post(f"/admin/associations/{sh}/admins/{uid}/revoke",
                                data={"_csrf_token": csrf_from(confirm.text)})
    assert revoked.status_code == 303
    assert not await db.fetchval("SELECT 1 FROM user_role WHERE \"user\" = $1", uid)
    assert await db.fetchval("SELECT role FROM orgs_member WHERE org = $1 AND \"user\" = $2", sh, uid) == "member"
    await login(client, username, PASSWORD)
    assert (await client.get(f"/admin/associations/{sh}")).status_code == 403


@pytest.mark.req("ORG-10")
async def test_hq_sets_the_admins_functions_export_needs_its_tick(client, db):
    bj = await org_id(db, "bj")
    await login(client, "bj_admin", PASSWORD)
    export = await client.get(f"/admin/associations/{bj}/members/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/vnd.openxml")
    await login(client, "hq", PASSWORD)
    saved = await post_form(client, f"/admin/associations/{bj}/admins", f"/admin/associations/{bj}/admins/permissions",
                            {"data_scope": "org"})  # no extras ticked
    assert saved.status_code == 303
    role = await db.fetchrow("SELECT * FROM role WHERE code = $1", f"orgs.admin.{bj}")
    assert "orgs.member.export" not in role["permissions"] and role["data_scope"] == "org"
    await login(client, "bj_admin", PASSWORD)
    assert (await client.get(f"/admin/associations/{bj}/members/export")).status_code == 403
    # data scope "this association only": the badminton club shares the node, other nodes are out
    listing = await client.get("/admin/associations", headers=FRAGMENT)
    assert "北京校友会" in listing.text and "上海校友会" not in listing.text


@pytest.mark.req("ORG-10")
async def test_a_member_who_leaves_loses_the_admin_role(client, db):
    from app.orgs import members
    from tests.orgs.factories import as_actor

    sh = await org_id(db, "sh")
    username, uid = await make_user("卸任")
    await add_member(sh, uid)
    await login(client, "hq", PASSWORD)
    await appoint(client, sh, uid)
    await members.leave(as_actor(uid, username), sh)
    assert not await db.fetchval("SELECT 1 FROM user_role WHERE \"user\" = $1", uid)

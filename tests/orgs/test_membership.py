"""Members (ORG-04, ORG-09): joining under each org's own rule — open joins at once, approval waits for the org's
admins (a todo routed by the org's node, decided on a phone with confirm steps), closed is refused and audited,
"verified alumni only" refuses an unverified account —, leaving, and removal with a reason."""
import pytest

from tests.helpers import csrf_from, login, post_form
from tests.orgs.factories import PASSWORD, make_user, org_id, user_id


async def join(client, slug: str, message: str = ""):
    return await post_form(client, f"/o/{slug}/join", f"/o/{slug}/join", {"message": message})


@pytest.mark.req("ORG-04")
async def test_open_rule_joins_at_once(client, db):
    username, uid = await make_user("开放加入")
    await login(client, username, PASSWORD)
    page = await client.get("/o/sh")
    assert 'href="/o/sh/join"' in page.text
    done = await join(client, "sh")
    assert done.status_code == 303 and done.headers["location"] == "/o/sh"
    sh = await org_id(db, "sh")
    row = await db.fetchrow("SELECT status, role, source FROM orgs_member WHERE org = $1 AND \"user\" = $2", sh, uid)
    assert (row["status"], row["role"], row["source"]) == ("active", "member", "join")
    assert "Member directory" in (await client.get("/o/sh")).text
    again = await join(client, "sh")
    assert again.status_code == 303  # already a member: back to the site with a message
    assert await db.fetchval("SELECT count(*) FROM orgs_member WHERE org = $1 AND \"user\" = $2", sh, uid) == 1


@pytest.mark.req("ORG-04", "ORG-09")
async def test_approval_rule_request_routed_to_the_org_admins_and_approved_on_a_phone(client, db):
    from app.core import todos

    username, uid = await make_user("申请加入")
    await login(client, username, PASSWORD)
    sent = await join(client, "bj", "我是2008级计算机的校友")
    assert sent.status_code == 303
    bj = await org_id(db, "bj")
    request = await db.fetchrow("SELECT * FROM orgs_join_request WHERE org = $1 AND \"user\" = $2", bj, uid)
    assert request["status"] == "pending" and not await db.fetchval(
        "SELECT 1 FROM orgs_member WHERE org = $1 AND \"user\" = $2 AND status = 'active'", bj, uid)
    assert "waiting for the admins" in (await client.get("/o/bj")).text
    todo = await db.fetchrow("SELECT * FROM todo WHERE ref = $1 AND status = 'open'", f"orgs.join:{request['id']}")
    audience = set(await todos.users_for(todo["permission"], todo["org_id"]))
    assert await user_id(db, "bj_admin") in audience and await user_id(db, "hq") in audience
    assert await user_id(db, "cs_admin") not in audience and await user_id(db, "em_admin") not in audience

    await login(client, "bj_admin", PASSWORD)
    home = await client.get(f"/h5/orgs/admin/{bj}")
    assert home.status_code == 200 and 'class="h5' in home.text and "我是2008级计算机的校友" in home.text
    confirm = await client.get(f"/h5/orgs/admin/{bj}/requests/{request['id']}/approve")
    action = f'action="/h5/orgs/admin/{bj}/requests/{request["id"]}/approve"'
    assert confirm.status_code == 200 and action in confirm.text
    done = await client.post(f"/h5/orgs/admin/{bj}/requests/{request['id']}/approve",
                             data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == f"/h5/orgs/admin/{bj}"
    assert await db.fetchval("SELECT status FROM orgs_join_request WHERE id = $1", request["id"]) == "approved"
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"orgs.join:{request['id']}") == "done"
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'orgs_join_result'", uid) == 1
    # the new member sees the directory
    await login(client, username, PASSWORD)
    directory = await client.get("/o/bj/members")
    assert directory.status_code == 200 and "陈*京" in directory.text and "陈北京" not in directory.text  # masked


@pytest.mark.req("ORG-04", "ORG-09")
async def test_refusal_on_the_phone_needs_a_reason_the_applicant_sees(client, db):
    username, uid = await make_user("被拒绝")
    await login(client, username, PASSWORD)
    await join(client, "bj")
    bj = await org_id(db, "bj")
    request_id = await db.fetchval("SELECT id FROM orgs_join_request WHERE org = $1 AND \"user\" = $2", bj, uid)
    await login(client, "bj_admin", PASSWORD)
    url = f"/h5/orgs/admin/{bj}/requests/{request_id}/refuse"
    confirm = await client.get(url)
    assert 'name="reason"' in confirm.text
    empty = await client.post(url, data={"reason": " ", "_csrf_token": csrf_from(confirm.text)})
    assert empty.status_code == 422 and "Give the reason" in empty.text
    done = await client.post(url, data={"reason": "请先完成校友认证", "_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    row = await db.fetchrow("SELECT status, reason FROM orgs_join_request WHERE id = $1", request_id)
    assert (row["status"], row["reason"]) == ("refused", "请先完成校友认证")
    await login(client, username, PASSWORD)
    mine = await client.get("/h5/orgs")
    assert "Refused" in mine.text and "请先完成校友认证" in mine.text
    assert (await client.get("/o/bj/members")).status_code == 403


@pytest.mark.req("ORG-04")
async def test_closed_org_refuses_with_a_clear_message_and_audits_it(client, db):
    username, uid = await make_user("闭门")
    await login(client, username, PASSWORD)
    page = await client.get("/o/fl")
    assert "does not accept new members" in page.text and 'href="/o/fl/join"' not in page.text
    refused = await join(client, "fl")  # a hand-made POST is refused the same way
    assert refused.status_code == 403 and "does not accept new members" in refused.text
    fl = await org_id(db, "fl")
    assert not await db.fetchval("SELECT 1 FROM orgs_member WHERE org = $1 AND \"user\" = $2", fl, uid)
    assert not await db.fetchval("SELECT 1 FROM orgs_join_request WHERE org = $1 AND \"user\" = $2", fl, uid)
    audit = await db.fetchrow("SELECT * FROM audit_log WHERE actor_id = $1 AND action = 'refused'"
                              " AND entity = 'orgs_member'", uid)
    assert audit is not None and audit["summary"] == f"closed:{fl}"


@pytest.mark.req("ORG-04")
async def test_verified_alumni_only_refuses_an_unlinked_account_until_it_is_linked(client, db):
    from app.core.audit import SYSTEM
    from app.records import api as records

    username, uid = await make_user("待认证", kind="registered")
    await login(client, username, PASSWORD)
    refused = await join(client, "sz")
    assert refused.status_code == 403 and "Only verified alumni" in refused.text
    assert 'href="/h5/identity"' in refused.text
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'refused'", uid) == 1
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    person = await records.create_person(SYSTEM, {"kind": "alumni", "name": "待认证", "org": cs})
    await records.link_user(person, uid, actor=SYSTEM)
    sent = await join(client, "sz")
    assert sent.status_code == 303
    assert await db.fetchval("SELECT status FROM orgs_join_request WHERE \"user\" = $1", uid) == "pending"


@pytest.mark.req("ORG-04")
async def test_leave_with_a_confirm_step(client, db):
    username, uid = await make_user("要退出")
    await login(client, username, PASSWORD)
    await join(client, "sh")
    confirm = await client.get("/o/sh/leave")
    assert confirm.status_code == 200 and 'action="/o/sh/leave"' in confirm.text
    done = await client.post("/o/sh/leave", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    sh = await org_id(db, "sh")
    row = await db.fetchrow("SELECT status, left_at FROM orgs_member WHERE org = $1 AND \"user\" = $2", sh, uid)
    assert row["status"] == "left" and row["left_at"] is not None
    assert (await client.get("/o/sh/members")).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'leave'", uid) == 1
    rejoined = await join(client, "sh")  # open rule: back in at once, one row
    assert rejoined.status_code == 303
    assert await db.fetchval("SELECT status FROM orgs_member WHERE org = $1 AND \"user\" = $2", sh, uid) == "active"


@pytest.mark.req("ORG-04")
async def test_admin_removes_a_member_with_a_reason_they_are_told(client, db):
    username, uid = await make_user("被移除")
    await login(client, username, PASSWORD)
    await join(client, "bj-badminton")
    club = await org_id(db, "bj-badminton")
    member_id = await db.fetchval("SELECT id FROM orgs_member WHERE org = $1 AND \"user\" = $2", club, uid)
    await login(client, "bj_admin", PASSWORD)
    url = f"/admin/associations/{club}/members/{member_id}/remove"
    page = await client.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.text
    empty = await client.post(url, data={"reason": "", "_csrf_token": csrf_from(page.text)})
    assert empty.status_code == 422 and "Give the reason" in empty.text
    done = await client.post(url, data={"reason": "长期未参加活动", "_csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT status FROM orgs_member WHERE id = $1", member_id) == "removed"
    assert "长期未参加活动" in await db.fetchval("SELECT body FROM inbox_message WHERE \"user\" = $1"
                                          " AND template_code = 'orgs_member_removed'", uid)

"""Invitations (EXP-04, EXP-05): the office invites with files, the expert hears of it by SMS / email / in-site
message with a signed link, accepts or declines on the phone, leaves until experts.leave_hours before the project
opens; a blacklisted expert's accept is refused, nothing lost, audited; files only reach their own expert."""
from datetime import UTC, datetime, timedelta

import pytest

from app.core import jobs, settings_store
from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.experts import api, experts, invitations
from app.support import users
from tests.helpers import csrf_from, login

PASSWORD = "Demo2026pass!x"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def make_expert(n: int, name: str = "邀请专家", email: str = "") -> tuple[int, str]:
    username = f"exp_inv{n}"
    user_id = await users.create_user(SYSTEM, username=username, name=name, password=PASSWORD)
    expert_id = await experts.create(SYSTEM, {"name": name, "phone": f"1776100000{n}", "email": email},
                                     user_id=user_id)
    return expert_id, username


def hours(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=n)


async def page_token(client, url: str) -> str:
    return csrf_from((await client.get(url)).text)


@pytest.mark.req("EXP-04")
async def test_invite_notifies_the_expert_who_accepts_on_the_phone(client, db):
    expert_id, username = await make_expert(1, email="inv1@example.test")
    inv = await api.invite(SYSTEM, expert_id, "reviews:7", "桥梁设计评审", hours(48), place="三号会议室",
                           files=[("方案.pdf", PDF), ("名单.csv", "姓名,单位\n张三,设计院\n".encode())])
    with pytest.raises(Invalid) as again:
        await api.invite(SYSTEM, expert_id, "reviews:7", "桥梁设计评审", hours(48))
    assert again.value.field == "expert"
    sent = {r["channel"]: r for r in await db.fetch("SELECT channel, address FROM delivery_log"
                                                   " WHERE template_code = 'exp_invitation'")}
    assert sent["sms"]["address"] == "17761000001" and sent["email"]["address"] == "inv1@example.test"
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE template_code = 'exp_invitation'") == 1
    await jobs.drain()
    text = await db.fetchval("SELECT m.text FROM sms_message m WHERE m.phone = '17761000001' ORDER BY id DESC LIMIT 1")
    assert "桥梁设计评审" in text and "/h5/expert/invitations/open/" in text
    link = text[text.index("/h5/expert/invitations/open/"):].split()[0]

    assert (await login(client, username, PASSWORD)).status_code == 303
    opened = await client.get(link)
    assert opened.status_code == 303 and opened.headers["location"] == f"/h5/expert/invitations/{inv}"
    listing = await client.get("/h5/expert/invitations")
    assert listing.status_code == 200 and "桥梁设计评审" in listing.text
    detail = await client.get(f"/h5/expert/invitations/{inv}")
    assert "方案.pdf" in detail.text and "三号会议室" in detail.text
    ok = await client.post(f"/h5/expert/invitations/{inv}/accept", data={"_csrf_token": csrf_from(detail.text)})
    assert ok.status_code == 303
    assert await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1", inv) == "accepted"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'exp_invitation' AND action = 'accept'"
                             " AND entity_id = $1", str(inv)) == 1
    assert await invitations.next_opening(expert_id) is not None
    assert [r["status"] for r in await api.invitations_of(expert_id, "reviews:7")] == ["accepted"]
    again = await client.post(f"/h5/expert/invitations/{inv}/decline",
                              data={"_csrf_token": csrf_from(detail.text), "reason": "x"})
    assert again.status_code == 409 and "already answered" in again.text


@pytest.mark.req("EXP-04")
async def test_decline_asks_for_a_reason(client, db):
    expert_id, username = await make_expert(2)
    inv = await invitations.invite(SYSTEM, expert_id, "", "手工项目", hours(30))
    assert (await db.fetchval("SELECT project_ref FROM exp_invitation WHERE id = $1", inv)) == f"manual:{inv}"
    await login(client, username, PASSWORD)
    token = await page_token(client, f"/h5/expert/invitations/{inv}")
    bare = await client.post(f"/h5/expert/invitations/{inv}/decline", data={"_csrf_token": token, "reason": " "})
    assert bare.status_code == 422 and "Give a reason." in bare.text
    ok = await client.post(f"/h5/expert/invitations/{inv}/decline", data={"_csrf_token": token, "reason": "出差"})
    assert ok.status_code == 303
    row = await db.fetchrow("SELECT status, reason FROM exp_invitation WHERE id = $1", inv)
    assert (row["status"], row["reason"]) == ("declined", "出差")


@pytest.mark.req("EXP-05")
async def test_leave_only_until_the_configured_hours_before_opening(client, db):
    expert_id, username = await make_expert(3)
    early = await invitations.invite(SYSTEM, expert_id, "reviews:1", "早评审", hours(3))
    late = await invitations.invite(SYSTEM, expert_id, "reviews:2", "晚评审", hours(1))
    for inv in (early, late):
        await invitations.respond(SYSTEM, inv, "accept", expert_id=expert_id)
    await login(client, username, PASSWORD)
    confirm = await client.get(f"/h5/expert/invitations/{early}/leave")
    assert confirm.status_code == 200 and "早评审" in confirm.text
    token = csrf_from(confirm.text)
    refused = await client.post(f"/h5/expert/invitations/{late}/leave", data={"_csrf_token": token, "reason": "病"})
    assert refused.status_code == 409 and "2 hours before the project opens" in refused.text
    assert await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1", late) == "accepted"
    await settings_store.put("experts.leave_hours", 4)
    settings_store.invalidate()
    refused = await client.post(f"/h5/expert/invitations/{early}/leave", data={"_csrf_token": token, "reason": "病"})
    assert refused.status_code == 409 and "4 hours" in refused.text
    await settings_store.put("experts.leave_hours", 2)
    settings_store.invalidate()
    ok = await client.post(f"/h5/expert/invitations/{early}/leave", data={"_csrf_token": token, "reason": "病"})
    assert ok.status_code == 303
    row = await db.fetchrow("SELECT status, reason FROM exp_invitation WHERE id = $1", early)
    assert (row["status"], row["reason"]) == ("left", "病")
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'leave' AND entity_id = $1",
                             str(early)) == 1


@pytest.mark.req("EXP-04", "EXP-18")
async def test_blacklisted_expert_cannot_accept_refusal_is_audited(client, db):
    expert_id, username = await make_expert(4)
    inv = await invitations.invite(SYSTEM, expert_id, "reviews:9", "黑名单测试", hours(24))
    await experts.set_status(SYSTEM, expert_id, "blacklisted", "违规")
    with pytest.raises(Invalid):
        await invitations.invite(SYSTEM, expert_id, "reviews:10", "新项目", hours(24))
    await login(client, username, PASSWORD)
    detail = await client.get(f"/h5/expert/invitations/{inv}")
    refused = await client.post(f"/h5/expert/invitations/{inv}/accept", data={"_csrf_token": csrf_from(detail.text)})
    assert refused.status_code == 409 and "does not allow you to accept" in refused.text
    assert await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1", inv) == "invited"  # nothing lost
    entry = await db.fetchrow("SELECT actor_id, after FROM audit_log WHERE entity = 'exp_invitation'"
                              " AND action = 'accept_refused' AND entity_id = $1", str(inv))
    assert entry is not None and "blacklisted" in str(entry["after"])


@pytest.mark.req("EXP-04")
async def test_files_reach_only_their_own_expert(client, db, as_user):
    a_id, a_user = await make_expert(5, "甲专家")
    b_id, b_user = await make_expert(6, "乙专家")
    inv = await invitations.invite(SYSTEM, a_id, "reviews:3", "文件评审", hours(24),
                                   files=[("方案.pdf", PDF), ("名单.csv", b"a,b\n1,2\n")])
    await invitations.invite(SYSTEM, b_id, "reviews:3", "文件评审", hours(24))
    assert (await client.get(f"/h5/expert/invitations/{inv}/files/0")).status_code in (302, 303)  # log in first
    await login(client, b_user, PASSWORD)
    assert (await client.get(f"/h5/expert/invitations/{inv}/files/0")).status_code == 404
    assert (await client.get(f"/h5/expert/invitations/{inv}")).status_code == 404
    await login(client, a_user, PASSWORD)
    pdf = await client.get(f"/h5/expert/invitations/{inv}/files/0")
    assert pdf.status_code == 200 and pdf.content == PDF and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    txt = await client.get(f"/h5/expert/invitations/{inv}/files/1")
    assert txt.content == b"a,b\n1,2\n" and txt.headers["content-disposition"].startswith("attachment")
    down = await client.get(f"/h5/expert/invitations/{inv}/files/0?download=1")
    assert down.headers["content-disposition"].startswith("attachment")
    assert (await client.get(f"/h5/expert/invitations/{inv}/files/5")).status_code == 404
    admin = await as_user("admin")
    assert (await admin.get(f"/admin/experts/invitations/{inv}/files/0")).content == PDF


@pytest.mark.req("EXP-04")
async def test_office_invites_with_files_cancels_and_marks_attended(db, as_user):
    expert_id, _user = await make_expert(7, "办公室专家")
    admin = await as_user("admin")
    form = await admin.get("/admin/experts/invitations/new?q=办公室")
    assert form.status_code == 200 and f"expert={expert_id}" in form.text
    token = csrf_from(form.text)
    opens = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    bad = await admin.post("/admin/experts/invitations", data={"_csrf_token": token, "expert": str(expert_id),
                                                               "project_title": "", "opens_at": opens})
    assert bad.status_code == 422
    made = await admin.post("/admin/experts/invitations", data={
        "_csrf_token": token, "expert": str(expert_id), "project_title": "办公室项目", "opens_at": opens,
        "place": "A 座"}, files=[("files", ("议程.pdf", PDF, "application/pdf"))])
    assert made.status_code == 303, made.text[:300]
    inv = int(made.headers["location"].rsplit("/", 1)[1])
    assert (await db.fetchval("SELECT files FROM exp_invitation WHERE id = $1", inv)).count("议程.pdf") == 1
    listing = await admin.get("/admin/experts/invitations?status=invited&project=办公室")
    assert "办公室项目" in listing.text
    assert "办公室项目" not in (await admin.get("/admin/experts/invitations?status=declined")).text
    confirm = await admin.get(f"/admin/experts/invitations/{inv}/cancel")
    assert confirm.status_code == 200 and "办公室专家" in confirm.text
    done = await admin.post(f"/admin/experts/invitations/{inv}/cancel", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1", inv) == "cancelled"
    second = await invitations.invite(SYSTEM, expert_id, "reviews:5", "第二项目", hours(30))
    await invitations.respond(SYSTEM, second, "accept", expert_id=expert_id)
    page = await admin.get(f"/admin/experts/invitations/{second}")
    await admin.post(f"/admin/experts/invitations/{second}/attended", data={"_csrf_token": csrf_from(page.text)})
    assert await db.fetchval("SELECT status FROM exp_invitation WHERE id = $1", second) == "attended"
    pano = await invitations.panorama(expert_id)
    assert [r["id"] for r in pano["invitations"]] == [inv, second] and pano["schedule"] == []
    from app.core.web import environment

    html = environment().get_template("experts/admin/_panorama_invitations.html").render(panorama=pano)
    assert "办公室项目" in html and "第二项目" in html


@pytest.mark.req("EXP-04")
async def test_office_pages_need_the_permission(client, db):
    _expert_id, username = await make_expert(8)
    await login(client, username, PASSWORD)
    assert (await client.get("/admin/experts/invitations")).status_code in (302, 303, 403)


@pytest.mark.req("EXP-04")
async def test_unanswered_invitations_are_reminded_once(db):
    expert_id, _user = await make_expert(9)
    soon = await invitations.invite(SYSTEM, expert_id, "reviews:11", "明天评审", hours(20))
    await invitations.invite(SYSTEM, expert_id, "reviews:12", "下周评审", hours(24 * 7))
    assert (await invitations.send_reminders())["reminded"] == 1
    assert (await invitations.send_reminders())["reminded"] == 0
    assert await db.fetchval("SELECT reminded_at IS NOT NULL FROM exp_invitation WHERE id = $1", soon)
    assert await db.fetchval("SELECT count(*) FROM delivery_log WHERE template_code = 'exp_invitation_reminder'"
                             " AND channel = 'sms'") == 1


@pytest.mark.req("EXP-04")
async def test_office_list_follows_the_data_scope(db):
    from app.core.pagination import PageRequest
    from app.core.permissions import Scope

    expert_id, _user = await make_expert(0)
    dept = await db.fetchval("SELECT id FROM org_node ORDER BY id LIMIT 1")
    mine = await invitations.invite(SYSTEM, expert_id, "reviews:21", "本部门", hours(30), department=dept)
    other = await invitations.invite(SYSTEM, expert_id, "reviews:22", "无部门", hours(30))
    with pytest.raises(Invalid):
        await invitations.invite(SYSTEM, expert_id, "reviews:23", "坏部门", hours(30), department=2_000_000)
    everything = invitations.InvitationFilters()
    ids = [r["id"] for r in (await invitations.search(everything, PageRequest(), Scope(all=True))).items]
    assert set(ids) == {mine, other}
    scoped = await invitations.search(everything, PageRequest(), Scope(org_ids=(dept,), user_id=999))
    assert [r["id"] for r in scoped.items] == [mine]
    assert (await invitations.get(mine, scope=Scope(org_ids=(dept,))))["id"] == mine
    with pytest.raises(invitations.NotFound):
        await invitations.get(other, scope=Scope(org_ids=(dept,)))

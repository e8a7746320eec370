"""The class address book (CLS-03): members auto-joined from the records (by the generation and at login),
join requests from others decided by a liaison, leave requests, and classmates' contacts masked until the
viewer's own profile is complete."""
from __future__ import annotations

import pytest

from tests.classes.factories import (
    class_node,
    generate,
    liaison_class,
    make_member,
    make_person,
    make_user,
    named_class,
)
from tests.helpers import csrf_from, login


async def _member_status(db, class_id: int, user: int) -> str | None:
    return await db.fetchval("SELECT status FROM classes_member WHERE class_id = $1 AND \"user\" = $2", class_id, user)


@pytest.mark.req("CLS-03")
async def test_linked_records_auto_join_and_a_member_who_left_is_not_joined_again(client, db):
    from app.classes import classes

    node = await class_node("网络工程2014级2班")
    ann = await make_user("ros_ann")
    await make_person("安同学", node=node, user=ann, entry_year=2014)
    await make_person("白同学", node=node, entry_year=2014)  # no account: listed, never a member
    await generate()
    klass = await db.fetchrow("SELECT * FROM classes_class WHERE key = $1", classes.node_key(node))
    assert await _member_status(db, klass["id"], ann) == "active"
    assert await db.fetchval("SELECT count(*) FROM classes_member WHERE class_id = $1", klass["id"]) == 1

    await db.execute("UPDATE classes_member SET status = 'left' WHERE class_id = $1", klass["id"])
    await generate()
    assert await _member_status(db, klass["id"], ann) == "left"

    # a record linked after the nightly run joins its account at the next login, before any run
    cid = await make_user("ros_cid")
    await make_person("岑同学", node=node, user=cid, entry_year=2014)
    await login(client, "ros_cid", "Demo2026pass")
    assert await _member_status(db, klass["id"], cid) == "active"
    page = await client.get("/h5/classes")
    assert page.status_code == 200 and "网络工程2014级2班" in page.text


async def _post(client, page_url: str, action: str, data: dict | None = None):
    page = await client.get(page_url)
    assert page.status_code == 200, page.text[:300]
    return await client.post(action, data={"_csrf_token": csrf_from(page.text), **(data or {})})


@pytest.mark.req("CLS-03")
async def test_join_request_goes_to_the_liaison_who_approves_it_then_leave(client, db):
    class_id = await liaison_class()
    dan = await make_user("ros_dan", "戴同学")
    await login(client, "ros_dan", "Demo2026pass")
    outside = await client.get(f"/h5/classes/{class_id}")
    assert outside.status_code == 200 and f"/h5/classes/{class_id}/join" in outside.text
    assert (await client.get(f"/h5/classes/{class_id}/roster")).status_code == 403  # not a member yet
    sent = await _post(client, f"/h5/classes/{class_id}/join", f"/h5/classes/{class_id}/join", {"note": "我是2008级的"})
    assert sent.status_code == 303
    request = await db.fetchrow("SELECT * FROM classes_request WHERE \"user\" = $1", dan)
    assert (request["kind"], request["status"], request["note"]) == ("join", "pending", "我是2008级的")
    twice = await _post(client, f"/h5/classes/{class_id}/join", f"/h5/classes/{class_id}/join")
    assert twice.status_code == 303 and await db.fetchval("SELECT count(*) FROM classes_request WHERE \"user\" = $1",
                                                          dan) == 1
    liaison = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code = 'cls_request'",
                             liaison) == 1
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"cls.request:{request['id']}") == "open"

    await login(client, "liaison", "Demo2026pass")
    manage = await client.get(f"/h5/classes/{class_id}/manage")
    assert manage.status_code == 200 and "戴同学" in manage.text
    no_reason = await client.post(f"/h5/classes/requests/{request['id']}/decide/reject",
                                  data={"_csrf_token": csrf_from(manage.text), "reason": ""})
    assert no_reason.status_code == 422 and "Give the applicant a reason." in no_reason.text
    approved = await client.post(f"/h5/classes/requests/{request['id']}/decide/approve",
                                 data={"_csrf_token": csrf_from(manage.text)})
    assert approved.status_code == 303
    assert await _member_status(db, class_id, dan) == "active"
    assert await db.fetchval("SELECT status FROM todo WHERE ref = $1", f"cls.request:{request['id']}") == "done"
    assert await db.fetchval("SELECT count(*) FROM inbox_message WHERE \"user\" = $1 AND template_code ="
                             " 'cls_request_decided'", dan) == 1
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'classes_request' AND action = 'approve'"
                             " AND entity_id = $1", str(request["id"])) == 1

    await login(client, "ros_dan", "Demo2026pass")
    left = await _post(client, f"/h5/classes/{class_id}/leave", f"/h5/classes/{class_id}/leave", {"note": "换号了"})
    assert left.status_code == 303
    leave = await db.fetchrow("SELECT * FROM classes_request WHERE \"user\" = $1 AND kind = 'leave'", dan)
    await login(client, "liaison", "Demo2026pass")
    confirm = await client.get(f"/h5/classes/requests/{leave['id']}/decide/approve")
    assert confirm.status_code == 200
    await client.post(f"/h5/classes/requests/{leave['id']}/decide/approve",
                      data={"_csrf_token": csrf_from(confirm.text)})
    assert await _member_status(db, class_id, dan) == "left"


@pytest.mark.req("CLS-03")
async def test_contacts_are_masked_until_the_viewers_profile_is_complete(client, db):
    eve = await make_user("ros_eve", "鄂同学", phone="13911112222", email="eve@alumni.example.cn")
    fay = await make_user("ros_fay", "范同学")
    await make_person("鄂同学", class_name="金融学2013级4班", college="EM", entry_year=2013, user=eve,
                      phone="13911112222", email="eve@alumni.example.cn", employer="招商银行")
    fay_record = await make_person("范同学", class_name="金融学2013级4班", college="EM", entry_year=2013, user=fay)
    await make_person("未同学", class_name="金融学2013级4班", college="EM", entry_year=2013, phone="13700000000")
    await generate()
    klass = await named_class("EM", 2013, "金融学2013级4班")

    await login(client, "ros_fay", "Demo2026pass")
    page = await client.get(f"/h5/classes/{klass['id']}/roster")
    assert page.status_code == 200
    assert "Complete your profile to see contacts." in page.text
    assert "139****2222" in page.text and "13911112222" not in page.text and "招商银行" not in page.text
    assert "13700000000" not in page.text  # a classmate who has not joined: name only, never contacts

    # the profile form: name, phone and email go to the account; the employer to the record (for review)
    form = await client.get(f"/h5/classes/profile?next=/h5/classes/{klass['id']}/roster")
    bad = await client.post("/h5/classes/profile", data={"_csrf_token": csrf_from(form.text), "name": "范同学",
                                                         "phone": "12", "email": "fay@alumni.example.cn"})
    assert bad.status_code == 422 and "Enter a valid phone number." in bad.text and 'value="范同学"' in bad.text
    saved = await client.post(f"/h5/classes/profile?next=/h5/classes/{klass['id']}/roster", data={
        "_csrf_token": csrf_from(form.text), "name": "范同学", "phone": "13622223333", "email": "fay@alumni.example.cn",
        "employer": "中国建设银行"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/h5/classes/{klass['id']}/roster"
    assert await db.fetchval("SELECT phone FROM app_user WHERE id = $1", fay) == "13622223333"
    still = await client.get(f"/h5/classes/{klass['id']}/roster")
    assert "Complete your profile to see contacts." in still.text  # the employer waits for review

    await db.execute("UPDATE rec_person SET employer = '中国建设银行' WHERE id = $1", fay_record)
    clear = await client.get(f"/h5/classes/{klass['id']}/roster")
    assert "Complete your profile to see contacts." not in clear.text
    assert "13911112222" in clear.text and "eve@alumni.example.cn" in clear.text and "招商银行" in clear.text


@pytest.mark.req("CLS-03")
async def test_a_secret_record_shows_no_contacts_to_classmates(client, db):
    from app.classes import classes

    node = await class_node("英语2012级1班", college="FL")
    gus = await make_user("ros_gus", "古同学", phone="13800001111", email="gus@alumni.example.cn")
    hal = await make_user("ros_hal", "郝同学", phone="13800002222", email="hal@alumni.example.cn")
    await make_person("古同学", node=node, college="FL", entry_year=2012, user=gus, phone="13800001111",
                      email="gus@alumni.example.cn", employer="外交部", secrecy=2)
    await make_person("郝同学", node=node, college="FL", entry_year=2012, user=hal, phone="13800002222",
                      email="hal@alumni.example.cn", employer="新华社")
    await generate()
    klass = await db.fetchrow("SELECT id FROM classes_class WHERE key = $1", classes.node_key(node))
    await make_member(klass["id"], hal)
    await login(client, "ros_hal", "Demo2026pass")
    page = await client.get(f"/h5/classes/{klass['id']}/roster")
    assert "Complete your profile to see contacts." not in page.text
    assert "古同学" in page.text and "13800001111" not in page.text and "外交部" not in page.text

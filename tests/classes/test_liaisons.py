"""Class liaisons (CLS-02): several per class, appointed by the college's admins (not by another college's, not
by liaisons); a liaison manages their own class only — another class's manage page, requests and moderation
answer 403 and the refusal is audited."""
from __future__ import annotations

import pytest

from tests.classes.factories import generate, liaison_class, make_member, make_person, make_user, named_class, user_id
from tests.helpers import csrf_from, login


async def _other_class(db) -> dict:
    await make_person("柏同学", class_name="会计学2011级2班", college="EM", entry_year=2011)
    await generate()
    return await named_class("EM", 2011, "会计学2011级2班")


async def _denials(db, class_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'classes_class' AND action = 'denied'"
                             " AND entity_id = $1", str(class_id))


@pytest.mark.req("CLS-02")
async def test_college_admin_appoints_several_liaisons_another_college_cannot(client, db):
    other = await _other_class(db)
    await make_user("lia_one", "一号")
    await make_user("lia_two", "二号")
    await login(client, "em_admin", "Demo2026pass")
    page = await client.get(f"/admin/classes/{other['id']}")
    assert page.status_code == 200 and "Appoint a liaison" in page.text
    for username in ("lia_one", "lia_two"):
        done = await client.post(f"/admin/classes/{other['id']}/liaisons",
                                 data={"_csrf_token": csrf_from(page.text), "username": username})
        assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM classes_liaison WHERE class_id = $1", other["id"]) == 2
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'classes_liaison' AND action = 'appoint'"
                             " AND entity_id = $1", str(other["id"])) == 2
    unknown = await client.post(f"/admin/classes/{other['id']}/liaisons",
                                data={"_csrf_token": csrf_from(page.text), "username": "nobody_here"})
    assert unknown.status_code == 303  # back to the page with the message
    assert "No active account" in (await client.get(f"/admin/classes/{other['id']}")).text

    await login(client, "cs_admin", "Demo2026pass")
    cs_page = await client.get("/admin/classes")
    refused = await client.post(f"/admin/classes/{other['id']}/liaisons",
                                data={"_csrf_token": csrf_from(cs_page.text), "username": "lia_one"})
    assert refused.status_code == 403
    assert await _denials(db, other["id"]) >= 1
    # a liaison holds no classes.manage: the admin pages are closed to them
    await login(client, "liaison", "Demo2026pass")
    assert (await client.get(f"/admin/classes/{other['id']}")).status_code == 403


@pytest.mark.req("CLS-02")
async def test_a_liaison_of_another_class_gets_403_and_it_is_audited(client, db):
    other = await _other_class(db)
    joiner = await make_user("lia_joiner", "加同学")
    await login(client, "lia_joiner", "Demo2026pass")
    page = await client.get(f"/h5/classes/{other['id']}/join")
    await client.post(f"/h5/classes/{other['id']}/join", data={"_csrf_token": csrf_from(page.text)})
    request_id = await db.fetchval("SELECT id FROM classes_request WHERE \"user\" = $1", joiner)

    await login(client, "liaison", "Demo2026pass")  # liaison of 计算机2008级1班 only
    own = await client.get(f"/h5/classes/{await liaison_class()}/manage")
    assert own.status_code == 200
    before = await _denials(db, other["id"])
    assert (await client.get(f"/h5/classes/{other['id']}/manage")).status_code == 403
    decided = await client.post(f"/h5/classes/requests/{request_id}/decide/approve",
                                data={"_csrf_token": csrf_from(own.text)})
    assert decided.status_code == 403
    settings = await client.post(f"/h5/classes/{other['id']}/moderation-settings",
                                 data={"_csrf_token": csrf_from(own.text), "story": "on"})
    assert settings.status_code == 403
    assert await _denials(db, other["id"]) == before + 3
    assert await db.fetchval("SELECT status FROM classes_request WHERE id = $1", request_id) == "pending"
    assert await db.fetchval("SELECT count(*) FROM classes_member WHERE \"user\" = $1", joiner) == 0
    entry = await db.fetchrow("SELECT actor_id, org_id FROM audit_log WHERE entity = 'classes_class' AND action ="
                              " 'denied' AND entity_id = $1 ORDER BY id DESC LIMIT 1", str(other["id"]))
    assert entry["actor_id"] == await user_id("liaison") and entry["org_id"] == other["college"]


@pytest.mark.req("CLS-02")
async def test_a_member_is_not_a_manager(client, db):
    class_id = await liaison_class()
    member = await make_user("lia_member")
    await make_member(class_id, member)
    await login(client, "lia_member", "Demo2026pass")
    home = await client.get(f"/h5/classes/{class_id}")
    assert home.status_code == 200 and f"/h5/classes/{class_id}/manage" not in home.text
    assert (await client.get(f"/h5/classes/{class_id}/manage")).status_code == 403

"""The expert's own profile edits (EXP-03): gated fields wait for an admin's approval, the others apply at
once; the history shows before/after; the admin gets a todo."""
import pytest

from app.core.audit import SYSTEM
from app.experts import experts
from app.support import users
from tests.helpers import csrf_from, login


@pytest.mark.req("EXP-03")
async def test_gated_field_waits_for_approval_and_history_shows_before_after(client, db, as_user):
    user_id = await users.create_user(SYSTEM, username="exp_self", name="自改", password="Demo2026pass!x",
                                      kind="registered")
    expert_id = await experts.create(SYSTEM, {"name": "自改", "phone": "17740000001", "title": "中级",
                                              "region": "北京"}, user_id=user_id)
    assert (await login(client, "exp_self", "Demo2026pass!x")).status_code == 303
    page = await client.get("/h5/expert/edit")
    assert page.status_code == 200 and "gated-title" in page.text
    saved = await client.post("/h5/expert/edit", data={"_csrf_token": csrf_from(page.text), "title": "高级",
                                                        "region": "上海"})
    assert saved.status_code == 303
    row = await db.fetchrow("SELECT title, region FROM exp_expert WHERE id = $1", expert_id)
    assert row["title"] == "中级" and row["region"] == "上海"  # title waits, region applied
    request_id = await db.fetchval("SELECT id FROM exp_change_request WHERE expert = $1 AND status = 'pending'",
                                   expert_id)
    assert await db.fetchval("SELECT count(*) FROM todo WHERE ref = $1 AND status = 'open'",
                             f"exp.change:{request_id}") == 1

    admin = await as_user("admin")
    listing = await admin.get("/admin/experts/changes")
    assert "<td>Professional title</td><td>中级</td><td>高级</td>" in listing.text
    done = await admin.post(f"/admin/experts/changes/{request_id}/decide",
                            data={"_csrf_token": csrf_from(listing.text), "decision": "approve"})
    assert done.status_code == 303
    assert await db.fetchval("SELECT title FROM exp_expert WHERE id = $1", expert_id) == "高级"
    detail = await admin.get(f"/admin/experts/{expert_id}")
    assert "<td>Professional title</td><td>中级</td><td>高级</td>" in detail.text
    assert "<td>Region</td><td>北京</td><td>上海</td>" in detail.text

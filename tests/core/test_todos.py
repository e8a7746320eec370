"""SUP-06 todos: a todo reaches the admins holding its permission in the org's data scope (listed,
counted, notified by inbox and email); closing it clears the count; reminders at most once a day."""
import re

import pytest

from app.core import jobs, todos
from tests.helpers import post_form


def _badge(html: str, badge: str) -> int:
    return int(re.search(rf'id="{badge}">(\d+)<', html).group(1))


async def _uid(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


async def _inbox(db, username: str) -> int:
    return await db.fetchval('SELECT count(*) FROM inbox_message m JOIN app_user u ON u.id = m."user" '
                             "WHERE u.username = $1 AND m.template_code = 'todo_assigned'", username)


async def _open_cs_todo(db, ref="user-change:77", notify_users=True) -> int:
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    return await todos.open_todo("user.change", ref, "审核李同学的资料变更", "/admin/users/77", "sup.user.edit", cs,
                                 notify_users=notify_users)


@pytest.mark.req("SUP-06")
async def test_users_for_follows_permission_and_data_scope(db):
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    class_org = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS-2008-1'")
    names = {r["id"]: r["username"] for r in await db.fetch("SELECT id, username FROM app_user")}
    assert {names[i] for i in await todos.users_for("sup.user.edit", cs)} == {"admin", "hq", "cs_admin"}
    assert {names[i] for i in await todos.users_for("sup.user.edit", class_org)} == {"admin", "hq", "cs_admin"}
    assert {names[i] for i in await todos.users_for("sup.delivery.view", cs)} == {"admin", "hq", "auditor"}
    assert {names[i] for i in await todos.users_for("sup.todo.view", None)} >= {"liaison", "bj_admin", "cs_admin"}
    await db.execute("UPDATE app_user SET is_active = FALSE WHERE username = 'cs_admin'")
    assert "cs_admin" not in {names[i] for i in await todos.users_for("sup.user.edit", cs)}


@pytest.mark.req("SUP-06")
async def test_todo_visible_to_scope_admins_notified_and_closing_clears_the_count(as_user, db, smtp_sink):
    await db.execute("UPDATE todo SET status = 'done' WHERE status = 'open'")  # the demo data's own (claims …)
    await _open_cs_todo(db)
    assert await _open_cs_todo(db) == await _open_cs_todo(db)  # same ref: one open todo, no second notice
    assert {u: await _inbox(db, u) for u in ("cs_admin", "admin", "hq", "em_admin", "liaison", "bj_admin")} == \
        {"cs_admin": 1, "admin": 1, "hq": 1, "em_admin": 0, "liaison": 0, "bj_admin": 0}
    emails = await db.fetch("SELECT d.user_id, d.status FROM delivery_log d WHERE channel = 'email' "
                            "AND template_code = 'todo_assigned'")
    assert sorted(e["user_id"] for e in emails) == sorted([await _uid(db, u) for u in ("admin", "cs_admin", "hq")])
    assert {e["status"] for e in emails} <= {"queued", "skipped"}  # skipped: a user without an email address
    await jobs.drain()
    mail = await db.fetchrow("SELECT subject, body FROM dev_mail WHERE rcpt = 'cs_admin@tongchuang.local'")
    assert "审核李同学的资料变更" in mail["subject"] and "/admin/users/77" in mail["body"]

    client = await as_user("cs_admin")
    home = await client.get("/admin")
    assert _badge(home.text, "todo-count") == 1 and "审核李同学的资料变更" in home.text
    assert _badge(home.text, "unread-count") == 1
    for username in ("em_admin", "liaison"):
        await post_form(client, "/admin", "/logout", {})
        other = await as_user(username)
        page = await other.get("/admin/todos")
        assert page.status_code == 200
        assert _badge(page.text, "todo-count") == 0 and "审核李同学的资料变更" not in page.text
    await post_form(client, "/admin", "/logout", {})
    admin = await as_user("admin")
    assert "审核李同学的资料变更" in (await admin.get("/admin/todos")).text

    assert await todos.close_todo("user-change:77", await _uid(db, "admin"))
    after = await admin.get("/admin")
    assert _badge(after.text, "todo-count") == 0 and "审核李同学的资料变更" not in after.text
    assert "审核李同学的资料变更" in (await admin.get("/admin/todos?status=done")).text


@pytest.mark.req("SUP-06")
async def test_reminder_job_notifies_once_per_day(db, smtp_sink):
    todo_id = await _open_cs_todo(db, notify_users=False)
    fresh = await _open_cs_todo(db, ref="user-change:78", notify_users=False)  # opened just now: no reminder
    await db.execute("UPDATE todo SET created_at = now() - interval '25 hours' WHERE id = $1", todo_id)
    assert await db.fetchval("SELECT enabled FROM job_schedule WHERE name = 'todos.remind'")

    async def remind() -> None:
        await jobs.enqueue("todos.remind", {})
        await jobs.drain()

    await remind()
    assert await _inbox(db, "cs_admin") == 1 and await _inbox(db, "admin") == 1 and await _inbox(db, "em_admin") == 0
    assert await db.fetchval("SELECT remind_at IS NOT NULL FROM todo WHERE id = $1", todo_id)
    assert await db.fetchval("SELECT remind_at FROM todo WHERE id = $1", fresh) is None
    assert await db.fetchval("SELECT status FROM delivery_log WHERE address = 'cs_admin@tongchuang.local'") == "sent"
    await remind()  # within the same day: nobody is reminded again
    assert await _inbox(db, "cs_admin") == 1
    await db.execute("UPDATE todo SET remind_at = now() - interval '25 hours' WHERE id = $1", todo_id)
    await remind()  # a day later: once more
    assert await _inbox(db, "cs_admin") == 2
    await todos.close_todo("user-change:77", None)
    await db.execute("UPDATE todo SET remind_at = now() - interval '25 hours' WHERE id = $1", todo_id)
    await remind()  # closed todos are never reminded
    assert await _inbox(db, "cs_admin") == 2
    result = await db.fetchval("SELECT result::text FROM job WHERE kind = 'todos.remind' AND status = 'done' "
                               "ORDER BY id DESC LIMIT 1")
    assert '"reminded": 0' in result

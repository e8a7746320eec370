"""The admin shell's per-user data (menu, todo and inbox counts) is computed once per user, not per
request, and dropped by the writes that change it (app.core.sessions.shell_changed)."""
import re

import pytest

from app.core import notify, todos


def _badge(html: str, name: str) -> int:
    return int(re.search(rf'id="{name}">(\d+)<', html).group(1))


@pytest.mark.req("SUP-06")
@pytest.mark.req("SUP-07")
@pytest.mark.req("NFR-04")
async def test_counts_are_cached_per_user_and_refreshed_by_the_writes_that_change_them(as_user, db):
    client = await as_user("cs_admin")
    cs = await db.fetchval("SELECT id FROM app_user WHERE username = 'cs_admin'")
    first = await client.get("/admin/profile")
    unread, open_todos = _badge(first.text, "unread-count"), _badge(first.text, "todo-count")

    # a row written behind the services' back is not seen: the count is not recomputed per request
    await db.execute('INSERT INTO inbox_message ("user", title, body, url, template_code) '
                     "VALUES ($1, 'x', 'x', '', 'generic')", cs)
    assert _badge((await client.get("/admin/profile")).text, "unread-count") == unread

    # the message service drops the receivers' cached count: it shows at once (with the row above)
    await notify.notify([cs], "generic", {"title": "年会", "body": "通知"}, channels=("inbox",))
    assert _badge((await client.get("/admin/profile")).text, "unread-count") == unread + 2

    college = await db.fetchval("SELECT org FROM app_user WHERE id = $1", cs)
    await todos.open_todo("user.change", "shell-cache-1", "审核资料变更", "/admin/users", "sup.user.edit", college)
    assert _badge((await client.get("/admin/profile")).text, "todo-count") == open_todos + 1
    await todos.close_todo("shell-cache-1", None)
    assert _badge((await client.get("/admin/profile")).text, "todo-count") == open_todos


@pytest.mark.req("SUP-04")
async def test_a_menu_edit_reaches_the_cached_menus(as_user, db):
    from app.core.audit import SYSTEM
    from app.support import menus

    client = await as_user("admin")
    assert "Accounts of the office" not in (await client.get("/admin/profile")).text  # menu now cached
    entry = await db.fetchrow("SELECT * FROM menu WHERE url = '/admin/users'")
    await menus.update(SYSTEM, entry["id"], title="Accounts of the office", url=entry["url"], icon=entry["icon"],
                              permission=entry["permission"], sort=entry["sort"], enabled=True,
                              parent_id=entry["parent"])
    assert "Accounts of the office" in (await client.get("/admin/profile")).text


@pytest.mark.req("NFR-04")
def test_embedded_postgresql_is_sized_from_the_machine_memory():
    from app.core.pg_embedded import sizing

    small, large = sizing(4 * 1024 ** 3), sizing(64 * 1024 ** 3)
    assert small["shared_buffers"] == "1024MB" and large["shared_buffers"] == "8192MB"  # a quarter, ≤ 8 GB
    assert int(large["effective_cache_size"][:-2]) > int(small["effective_cache_size"][:-2])
    assert 4 <= int(small["work_mem"][:-2]) <= 64

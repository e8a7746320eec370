"""SUP-07 user inbox: notify() lands in the user's inbox, unread count in the top bar, opening marks
read, read/unread/all-read, paging, and nobody opens another user's message."""
import re

import pytest

from app.core import notify
from tests.helpers import post_form


async def _uid(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


def _unread_badge(html: str) -> int:
    return int(re.search(r'id="unread-count">(\d+)<', html).group(1))


@pytest.mark.req("SUP-07")
async def test_notify_shows_in_inbox_with_unread_count_and_opening_marks_read(as_user, db):
    cs = await _uid(db, "cs_admin")
    sent = await notify.notify([cs], "generic", {"title": "校友年会通知", "body": "年会将于 10 月 18 日举行。"},
                               channels=("inbox",), url="/admin/todos")
    assert sent == 1
    client = await as_user("cs_admin")
    home = await client.get("/admin")
    assert _unread_badge(home.text) == 1
    listing = await client.get("/admin/inbox")
    assert listing.status_code == 200
    assert "校友年会通知" in listing.text and 'class="unread"' in listing.text
    message_id = await db.fetchval('SELECT id FROM inbox_message WHERE "user" = $1', cs)
    opened = await client.get(f"/admin/inbox/{message_id}")
    assert opened.status_code == 200
    assert "年会将于 10 月 18 日举行。" in opened.text and 'href="/admin/todos"' in opened.text
    assert _unread_badge(opened.text) == 0  # the top bar already counts it as read
    assert await db.fetchval("SELECT read_at IS NOT NULL FROM inbox_message WHERE id = $1", message_id)
    assert await db.fetchval("SELECT count(*) FROM delivery_log WHERE user_id = $1 AND channel = 'inbox' "
                             "AND status = 'sent'", cs) == 1


@pytest.mark.req("SUP-07")
async def test_another_user_cannot_open_or_mark_a_message(as_user, db):
    em = await _uid(db, "em_admin")
    await notify.notify([em], "generic", {"title": "仅限经管学院", "body": "机密"}, channels=("inbox",))
    message_id = await db.fetchval('SELECT id FROM inbox_message WHERE "user" = $1', em)
    client = await as_user("cs_admin")
    assert (await client.get(f"/admin/inbox/{message_id}")).status_code == 404
    marked = await post_form(client, "/admin/inbox", f"/admin/inbox/{message_id}/read", {})
    assert marked.status_code == 404
    listing = await client.get("/admin/inbox")
    assert "仅限经管学院" not in listing.text
    assert await db.fetchval("SELECT read_at FROM inbox_message WHERE id = $1", message_id) is None


@pytest.mark.req("SUP-07")
async def test_filter_mark_unread_mark_all_read_and_paging(as_user, db):
    cs = await _uid(db, "cs_admin")
    for n in range(25):
        await notify.notify([cs], "generic", {"title": f"通知 {n:02d}", "body": "正文"}, channels=("inbox",))
    client = await as_user("cs_admin")
    first = await client.get("/admin/inbox")
    assert _unread_badge(first.text) == 25
    assert "通知 24" in first.text and "通知 04" not in first.text  # newest first, 20 per page
    second = await client.get("/admin/inbox?page=2")
    assert "通知 04" in second.text and "通知 00" in second.text and "通知 24" not in second.text

    newest = await db.fetchval('SELECT id FROM inbox_message WHERE "user" = $1 AND title = $2', cs, "通知 24")
    await client.get(f"/admin/inbox/{newest}")
    unread = await client.get("/admin/inbox?status=unread&per_page=50")
    assert "通知 24" not in unread.text and "通知 23" in unread.text
    read = await client.get("/admin/inbox?status=read")
    assert "通知 24" in read.text and "通知 23" not in read.text

    back = await post_form(client, "/admin/inbox", f"/admin/inbox/{newest}/unread",
                           {"next": "/admin/inbox?status=unread"})
    assert back.status_code == 303 and back.headers["location"] == "/admin/inbox?status=unread"
    assert await db.fetchval("SELECT read_at FROM inbox_message WHERE id = $1", newest) is None

    done = await post_form(client, "/admin/inbox", "/admin/inbox/read-all", {})
    assert done.status_code == 303
    assert _unread_badge((await client.get("/admin/inbox")).text) == 0
    assert await db.fetchval('SELECT count(*) FROM inbox_message WHERE "user" = $1 AND read_at IS NULL', cs) == 0


@pytest.mark.req("SUP-07")
async def test_inbox_needs_login(client):
    response = await client.get("/admin/inbox")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")

"""User inbox (SUP-07): the in-site messages notify() wrote for one user; read/unread state.

Every query is bounded by the owner: another user's message simply does not exist for you."""
from __future__ import annotations

from app.core import db, sessions
from app.core.pagination import Page, PageRequest

STATUSES = ("unread", "read")
COLUMNS = 'id, "user", title, body, url, template_code, read_at, created_at'


async def list_messages(user_id: int, status: str, req: PageRequest) -> Page:
    """One page of the user's messages, newest first; status '' (all), 'unread' or 'read'."""
    args: list = [user_id]
    where = '"user" = $1'
    if status == "unread":
        where += " AND read_at IS NULL"
    elif status == "read":
        where += " AND read_at IS NOT NULL"
    total = await db.fetchval(f"SELECT count(*) FROM inbox_message WHERE {where}", *args)
    items = await db.fetch(f"SELECT {COLUMNS} FROM inbox_message WHERE {where} ORDER BY created_at DESC, id DESC "
                           f"LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page)


async def latest(user_id: int, limit: int = 5) -> list[dict]:
    """The few newest messages of the user (the H5 home); read or not."""
    return await db.fetch('SELECT id, title, body, url, read_at, created_at FROM inbox_message WHERE "user" = $1 '
                          "ORDER BY created_at DESC, id DESC LIMIT $2", user_id, limit)


async def open_message(user_id: int, message_id: int) -> dict | None:
    """The message (None when it is not this user's); opening it marks it read."""
    row = await db.fetchrow(
        f'UPDATE inbox_message SET read_at = COALESCE(read_at, now()) WHERE id = $1 AND "user" = $2 '
        f"RETURNING {COLUMNS}", message_id, user_id)
    await sessions.shell_changed([user_id])
    return row


async def mark(user_id: int, message_id: int, read: bool) -> bool:
    """Mark one of the user's messages read or unread; False when it is not theirs."""
    status = await db.execute(
        'UPDATE inbox_message SET read_at = CASE WHEN $3 THEN COALESCE(read_at, now()) END '
        'WHERE id = $1 AND "user" = $2', message_id, user_id, read)
    await sessions.shell_changed([user_id])
    return status.endswith(" 1")


async def mark_all_read(user_id: int) -> int:
    status = await db.execute('UPDATE inbox_message SET read_at = now() WHERE "user" = $1 AND read_at IS NULL', user_id)
    await sessions.shell_changed([user_id])
    return int(status.rsplit(" ", 1)[-1])


def safe_link(url: str | None) -> str:
    """A message's link, only when it is a local path or an http(s) address (never javascript:)."""
    url = (url or "").strip()
    if (url.startswith("/") and not url.startswith("//")) or url.startswith(("http://", "https://")):
        return url
    return ""

"""Presence (IM-08): a user is online while one of their message streams is open. The stream touches
`im_presence` when it opens and on each keep-alive ping (every 25 s); a small in-memory throttle makes that at
most one write per user per 20 s per process. Online = seen within the last 60 s."""
from __future__ import annotations

import logging
import time

from app.core import db

THROTTLE_SECONDS = 20
ONLINE_SECONDS = 60
_MAX_TRACKED = 50_000

_touched: dict[int, float] = {}  # user id → monotonic time of this process's last write
_log = logging.getLogger("tongchuang.im")


def forget() -> None:
    """Drop the throttle (tests; a process restart does the same)."""
    _touched.clear()


async def touch(user_id: int) -> bool:
    """Mark the user as seen now; False when throttled (or when the write failed: a stream is not broken by it)."""
    now = time.monotonic()
    if now - _touched.get(user_id, -1e9) < THROTTLE_SECONDS:
        return False
    _touched[user_id] = now
    if len(_touched) > _MAX_TRACKED:
        for key in [k for k, at in _touched.items() if now - at >= THROTTLE_SECONDS]:
            del _touched[key]
    try:
        await db.execute('INSERT INTO im_presence ("user", seen_at) VALUES ($1, now())'
                         ' ON CONFLICT ("user") DO UPDATE SET seen_at = now()', user_id)
    except Exception:  # presence is best effort; the stream goes on
        _touched.pop(user_id, None)
        _log.warning("presence touch failed for user %s", user_id, exc_info=True)
        return False
    return True


ONLINE_SQL = f"seen_at > now() - interval '{ONLINE_SECONDS} seconds'"


async def online(user_ids: list[int]) -> set[int]:
    """Those of these users seen within the last 60 s."""
    if not user_ids:
        return set()
    rows = await db.fetch(f'SELECT "user" FROM im_presence WHERE "user" = ANY($1::bigint[]) AND {ONLINE_SQL}',
                          list(user_ids))
    return {r["user"] for r in rows}


async def online_count(user_ids: list[int]) -> int:
    if not user_ids:
        return 0
    return await db.fetchval(f'SELECT count(*) FROM im_presence WHERE "user" = ANY($1::bigint[]) AND {ONLINE_SQL}',
                             list(user_ids)) or 0

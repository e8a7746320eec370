"""Governance of the messenger (IM-11): idle temporary groups purged, the per-user watermark every chat page
carries (name and account, so a screenshot names its taker), and the usage figures of the admin statistics."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from app.core import audit, db, settings_store
from app.core.audit import SYSTEM

DEFAULT_IDLE_DAYS = 30


async def purge_idle_temporary(now: datetime | None = None) -> dict:
    """Delete temporary groups with no message for `im.temp_group_idle_days` (30; 0 = never), in batches."""
    try:
        days = int(await settings_store.get("im.temp_group_idle_days", DEFAULT_IDLE_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_IDLE_DAYS
    if days <= 0:
        return {"deleted": 0}
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    deleted = 0
    while True:
        rows = await db.fetch(
            "DELETE FROM im_conversation WHERE id IN (SELECT id FROM im_conversation WHERE temporary AND"
            " coalesce(last_at, created_at) < $1 ORDER BY id LIMIT 500) RETURNING id, title", cutoff)
        deleted += len(rows)
        if len(rows) < 500:
            break
    if deleted:
        await audit.record(SYSTEM, "purge", "im_conversation", "", summary=f"{deleted} idle temporary groups",
                           after={"older_than_days": days})
    return {"deleted": deleted}


def watermark_svg(name: str, account: str) -> str:
    """A tile with the viewer's name and account, drawn faintly and rotated; repeated as the chat background."""
    text = escape(f"{name} {account}".strip()[:60])
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160">'
            '<text x="20" y="100" transform="rotate(-20 120 80)" font-size="14" fill="#000" fill-opacity="0.07"'
            f' font-family="sans-serif">{text}</text></svg>')


async def usage(days: int = 30) -> dict:
    """New and active users, groups, 1:1 and group messages, senders over `days`; who is online now."""
    since = datetime.now(UTC) - timedelta(days=days)
    row = await db.fetchrow(
        "SELECT (SELECT count(*) FROM app_user WHERE created_at >= $1) AS new_users,"
        " (SELECT count(DISTINCT sender) FROM im_message WHERE created_at >= $1) AS senders,"
        " (SELECT count(*) FROM im_conversation WHERE kind = 'group' AND created_at >= $1) AS new_groups,"
        " (SELECT count(DISTINCT x.conversation) FROM im_message x JOIN im_conversation c ON c.id = x.conversation"
        "   WHERE c.kind = 'group' AND x.created_at >= $1) AS active_groups,"
        " (SELECT count(*) FROM im_message x JOIN im_conversation c ON c.id = x.conversation"
        "   WHERE c.kind = 'direct' AND x.created_at >= $1) AS direct_messages,"
        " (SELECT count(*) FROM im_message x JOIN im_conversation c ON c.id = x.conversation"
        "   WHERE c.kind <> 'direct' AND x.created_at >= $1) AS group_messages", since)
    daily = await db.fetch(
        "SELECT date_trunc('day', created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS messages,"
        " count(DISTINCT sender) AS senders FROM im_message WHERE created_at >= $1 GROUP BY 1 ORDER BY 1", since)
    online = await db.fetchval("SELECT count(*) FROM im_presence WHERE seen_at > now() - interval '60 seconds'") \
        if await db.fetchval("SELECT to_regclass('im_presence') IS NOT NULL") else 0
    return {**row, "online": online, "daily": daily, "days": days}

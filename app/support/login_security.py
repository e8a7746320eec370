"""Login security (SUP-12): the login log with filters, statistics from it, and the current blocks
(lifting one is audited). Counting and blocking themselves live in app.core.auth."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.core import audit, db, sqlfilter
from app.core.audit import Actor
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest

RESULTS = ("success", "failed", "blocked")
DEVICES = ("pc", "mobile", "tablet")
LOG_SORTS = {"at": "l.at", "username": "l.username", "ip": "l.ip"}
STATS_DAYS = 30


@dataclass
class LogFilters:
    username: str = ""
    ip: str = ""
    result: str = ""
    device: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, params) -> LogFilters:
        return cls(username=sqlfilter.text(params, "username", 64), ip=sqlfilter.text(params, "ip", 64),
                   result=sqlfilter.choice(params, "result", RESULTS),
                   device=sqlfilter.choice(params, "device", DEVICES),
                   date_from=sqlfilter.parse_date(params.get("from")), date_to=sqlfilter.parse_date(params.get("to")))


async def list_logins(filters: LogFilters, req: PageRequest) -> Page:
    where = sqlfilter.Where()
    where.contains("l.username", filters.username).contains("l.ip", filters.ip, prefix_only=True)
    if filters.result == "success":
        where.add("l.success")
    elif filters.result == "failed":
        where.add("NOT l.success AND l.reason <> 'blocked'")
    elif filters.result == "blocked":
        where.add("l.reason = 'blocked'")
    where.equals("l.device", filters.device).date_range("l.at", filters.date_from, filters.date_to)
    sql_where, args = where.sql(), where.args
    total = await db.fetchval(f"SELECT count(*) FROM login_log l WHERE {sql_where}", *args)
    items = await db.fetch(
        "SELECT l.id, l.at, l.username, l.user_id, l.ip, l.platform, l.device, l.browser, l.success, l.reason"
        f" FROM login_log l WHERE {sql_where} {req.order_by(LOG_SORTS, 'l.at DESC, l.id DESC')}"
        f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page, req.sort)


DEVICE_LABELS = {"pc": L("Computer"), "mobile": L("Phone"), "tablet": L("Tablet"), "bot": L("Bot")}


def _series(rows: list[dict], labels: dict | None = None) -> list[dict]:
    labels = labels or {}
    return [{"label": str(labels.get(r["label"], r["label"])) if r["label"] else _("Unknown"), "value": r["value"]}
            for r in rows]


async def login_stats(days: int = STATS_DAYS) -> dict:
    """Login attempts of the last `days` days by platform, device, browser, day and hour of day."""
    since = "l.at >= current_date - ($1::int - 1)"
    totals = await db.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE success) AS success,"
        " count(*) FILTER (WHERE NOT success AND reason <> 'blocked') AS failed,"
        f" count(*) FILTER (WHERE reason = 'blocked') AS blocked FROM login_log l WHERE {since}", days)

    async def by(column: str, labels: dict | None = None, limit: int = 10) -> list[dict]:
        return _series(await db.fetch(
            f"SELECT {column} AS label, count(*) AS value FROM login_log l WHERE {since}"
            f" GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {limit}", days), labels)

    per_day = await db.fetch(
        "SELECT to_char(d, 'MM-DD') AS label, count(l.id) AS value"
        " FROM generate_series(current_date - ($1::int - 1), current_date, interval '1 day') d"
        " LEFT JOIN login_log l ON l.at >= d AND l.at < d + interval '1 day' GROUP BY d ORDER BY d", days)
    per_hour = await db.fetch(
        "SELECT lpad(h::text, 2, '0') AS label, count(l.id) AS value FROM generate_series(0, 23) h"
        f" LEFT JOIN login_log l ON extract(hour FROM l.at) = h AND {since} GROUP BY h ORDER BY h", days)
    return {"days": days, "totals": totals, "platform": await by("l.platform"),
            "device": await by("l.device", DEVICE_LABELS), "browser": await by("l.browser"),
            "day": _series(per_day), "hour": _series(per_hour)}


async def list_blocks(req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM login_block WHERE until > now()")
    items = await db.fetch("SELECT id, key, until, reason, created_at FROM login_block WHERE until > now()"
                           f" ORDER BY until DESC, id LIMIT {req.per_page} OFFSET {req.offset}")
    for row in items:
        row["kind"], _sep, row["value"] = row["key"].partition(":")
    return Page(items, total, req.page, req.per_page, req.sort)


async def get_block(block_id: int) -> dict | None:
    return await db.fetchrow("SELECT id, key, until, reason, created_at FROM login_block WHERE id = $1", block_id)


async def unblock(actor: Actor, block_id: int) -> dict:
    """Lift one block (an IP or an account) before it expires."""
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM login_block WHERE id = $1 RETURNING key, until, reason", block_id)
        if row is None:
            raise Conflict(_("This block no longer exists."))
        await audit.record(actor, "unblock", "login_block", row["key"], before=row, summary=row["key"])
    return row

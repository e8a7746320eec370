"""SMS statistics (SMS-07) and the balance ledger views (SMS-06), read-only and scoped to the accounts
the viewer may use. Statistics read the daily rollup sms_daily_stat (day × account × channel), never
sms_message: `refresh_daily_stats` (the sms.stats.rollup job) recomputes it. Counted as before: sent,
delivered (success), failed (failed/expired/rejected) and pending (not final yet); cancelled scheduled
messages are not counted; billed = segments charged and not refunded."""
from __future__ import annotations

from datetime import date, datetime

from app.core import db
from app.core.audit import Actor
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.sqlfilter import Where
from app.sms import accounts

LEDGER_KINDS = {"topup": L("Top-up"), "charge": L("Charge"), "refund": L("Refund"), "adjust": L("Adjustment")}
GROUPS = ("account", "channel")


def _rate(done: int, total: int) -> float | None:
    return round(100.0 * done / total, 1) if total else None


REFRESH_SECONDS = 300  # how often the sms.stats.rollup job recomputes RECENT_DAYS: the page's stated lag
RECENT_DAYS = 2  # today and yesterday: where new messages land and most delivery reports arrive
LATE_DAYS = 35  # the daily pass: delivery reports that come days late still reach their day


async def refresh_daily_stats(days: int = RECENT_DAYS) -> dict:
    """Recompute the rollup for the last `days` days (all history when it was never filled or is empty).
    The window is deleted and re-inserted in one transaction, so a rerun gives the same rows and a group
    that vanished (a queued message got its channel) leaves no stale row. The join with sms_account lets
    the planner use sms_message (account, created_at) per account instead of scanning the table."""
    async with db.transaction():
        # The run row's lock serialises two workers; readers keep seeing the previous rollup until commit.
        run = await db.fetchrow("SELECT refreshed_at FROM sms_daily_stat_run WHERE id = 1 FOR UPDATE")
        empty = not await db.fetchval("SELECT EXISTS (SELECT 1 FROM sms_daily_stat)")
        if run is None or run["refreshed_at"] is None or empty:  # first run: full backfill
            start = await db.fetchval("SELECT COALESCE(min(created_at)::date, current_date) FROM sms_message")
        else:
            start = await db.fetchval("SELECT current_date - $1::int + 1", max(days, 1))
        await db.execute("DELETE FROM sms_daily_stat WHERE day >= $1", start)
        status = await db.execute(
            "INSERT INTO sms_daily_stat (day, account, channel, sent, success, failure, pending, billed)"
            " SELECT m.created_at::date, m.account, COALESCE(m.channel, 0), count(*),"
            " count(*) FILTER (WHERE m.status = 'delivered'),"
            " count(*) FILTER (WHERE m.status IN ('failed', 'expired', 'rejected')),"
            " count(*) FILTER (WHERE m.status NOT IN ('delivered', 'failed', 'expired', 'rejected')),"
            " COALESCE(sum(m.cost) FILTER (WHERE NOT m.refunded), 0)"
            " FROM sms_account a JOIN sms_message m ON m.account = a.id"
            " WHERE m.created_at >= $1::date AND m.status <> 'cancelled' GROUP BY 1, 2, 3", start)
        await db.execute("INSERT INTO sms_daily_stat_run (id, refreshed_at, refreshed_from) VALUES (1, now(), $1)"
                         " ON CONFLICT (id) DO UPDATE SET refreshed_at = now(), refreshed_from = $1", start)
    return {"from": start.isoformat(), "rows": int(status.split()[-1])}


async def refreshed_at() -> datetime | None:
    """When the rollup was last recomputed (None: never; the page says so)."""
    return await db.fetchval("SELECT refreshed_at FROM sms_daily_stat_run WHERE id = 1")


async def sms_stats(actor: Actor, *, period: str, year: int, by: str, account_id: int | None = None) -> dict:
    """{"periods": [{label, sent, success, failure, pending, rate}], "rows": [... per period and group]},
    from the rollup (as of `refreshed_at`)."""
    where = Where()
    where.add(accounts.visible_sql(actor, where.args, "s.account"))
    where.equals("s.account", account_id)
    if period == "month":
        where.add(f"s.day >= make_date({where.param(year)}::int, 1, 1)"
                  f" AND s.day < make_date({where.param(year + 1)}::int, 1, 1)")
        label = "to_char(s.day, 'YYYY-MM')"
    else:
        label = "to_char(s.day, 'YYYY')"
    group = "a.name" if by == "account" else "COALESCE(ch.name, '—')"
    rows = await db.fetch(
        f"SELECT {label} AS period, {group} AS grp, sum(s.sent)::int AS sent, sum(s.success)::int AS success,"
        f" sum(s.failure)::int AS failure, sum(s.pending)::int AS pending, sum(s.billed)::bigint AS billed"
        f" FROM sms_daily_stat s JOIN sms_account a ON a.id = s.account LEFT JOIN sms_channel ch ON ch.id = s.channel"
        f" WHERE {where.sql()} GROUP BY 1, 2 ORDER BY 1, 2", *where.args)
    periods: dict[str, dict] = {}
    for r in rows:
        r["rate"] = _rate(r["success"], r["success"] + r["failure"])
        p = periods.setdefault(r["period"], {"label": r["period"], "sent": 0, "success": 0, "failure": 0, "pending": 0})
        for key in ("sent", "success", "failure", "pending"):
            p[key] += r[key]
    for p in periods.values():
        p["rate"] = _rate(p["success"], p["success"] + p["failure"])
    out = list(periods.values())
    return {"periods": out, "rows": rows, "refreshed_at": await refreshed_at(),
            # the chart series: success/failure bars and the success rate line
            "bars": [{"label": p["label"], "values": [p["success"], p["failure"]]} for p in out],
            "rates": [{"label": p["label"], "value": p["rate"] or 0} for p in out]}


async def balances(actor: Actor) -> list[dict]:
    args: list = []
    return await db.fetch(
        f"SELECT a.id, a.name, a.parent, a.balance, a.low_balance_alert, a.status FROM sms_account a"
        f" WHERE NOT a.is_system AND {accounts.visible_sql(actor, args)} ORDER BY COALESCE(a.parent, a.id),"
        f" a.parent NULLS FIRST, a.name", *args)


async def ledger(account_id: int, *, kind: str, date_from: date | None, date_to: date | None,
                 req: PageRequest) -> Page:
    """Ledger rows of one (already scope-checked) account, newest first."""
    where = Where(None, "l.account = $1")
    where.args.append(account_id)
    if kind in LEDGER_KINDS:
        where.equals("l.kind", kind)
    where.date_range("l.created_at", date_from, date_to)
    total = await db.fetchval(f"SELECT count(*) FROM sms_ledger l WHERE {where.sql()}", *where.args)
    rows = await db.fetch(f"SELECT l.*, u.username FROM sms_ledger l LEFT JOIN app_user u ON u.id = l.actor"
                          f" WHERE {where.sql()} ORDER BY l.id DESC LIMIT {req.per_page} OFFSET {req.offset}",
                          *where.args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def set_threshold(actor: Actor, account_id: int, threshold: int) -> None:
    from app.core import audit

    account = await accounts.get(actor, account_id)
    async with db.transaction():
        await db.execute("UPDATE sms_account SET low_balance_alert = $2, updated_at = now() WHERE id = $1",
                         account_id, threshold)
        await audit.record(actor, "sms.account.threshold", "sms_account", account_id, org_id=account["org"],
                           before={"low_balance_alert": account["low_balance_alert"]},
                           after={"low_balance_alert": threshold})

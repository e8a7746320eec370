"""SMS statistics (SMS-07) and the balance ledger views (SMS-06), read-only and scoped to the accounts
the viewer may use. Counts come from sms_message grouped in SQL: sent, delivered (success), failed
(failed/expired/rejected) and pending (not final yet); cancelled scheduled messages are not counted."""
from __future__ import annotations

from datetime import date

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


async def sms_stats(actor: Actor, *, period: str, year: int, by: str, account_id: int | None = None) -> dict:
    """{"periods": [{label, sent, success, failure, pending, rate}], "rows": [... per period and group]}."""
    where = Where()
    where.add(accounts.visible_sql(actor, where.args, "m.account")).add("m.status <> 'cancelled'")
    where.equals("m.account", account_id)
    if period == "month":
        where.add(f"m.created_at >= make_date({where.param(year)}::int, 1, 1)"
                  f" AND m.created_at < make_date({where.param(year + 1)}::int, 1, 1)")
        label = "to_char(m.created_at, 'YYYY-MM')"
    else:
        label = "to_char(m.created_at, 'YYYY')"
    group = "a.name" if by == "account" else "COALESCE(ch.name, '—')"
    rows = await db.fetch(
        f"SELECT {label} AS period, {group} AS grp, count(*) AS sent,"
        f" count(*) FILTER (WHERE m.status = 'delivered') AS success,"
        f" count(*) FILTER (WHERE m.status IN ('failed', 'expired', 'rejected')) AS failure,"
        f" count(*) FILTER (WHERE m.status NOT IN ('delivered', 'failed', 'expired', 'rejected')) AS pending"
        f" FROM sms_message m JOIN sms_account a ON a.id = m.account LEFT JOIN sms_channel ch ON ch.id = m.channel"
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
    return {"periods": out, "rows": rows,  # the chart series: success/failure bars and the success rate line
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

"""Mall statistics (MALL-10): orders, points spent and cash over a period, by status, by day or month,
top products. Only orders inside the viewer's data scope (buyer's org, in the SQL). "Sold" means paid
and not cancelled (pending payment and cancelled orders are left out of sales figures)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from app.core import db
from app.core.audit import Actor
from app.mall.orders import STATUSES

SOLD = "o.status NOT IN ('pending_payment', 'cancelled')"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    by: str = "day"  # day / month

    @classmethod
    def from_query(cls, params: Mapping[str, str], today: date | None = None) -> Period:
        today = today or date.today()

        def parse(name: str, default: date) -> date:
            try:
                return date.fromisoformat(params.get(name) or "")
            except ValueError:
                return default
        end = parse("end", today)
        start = parse("start", end - timedelta(days=29))
        if start > end:
            start, end = end, start
        by = params.get("by") if params.get("by") in ("day", "month") else ("month" if (end - start).days > 92
                                                                            else "day")
        return cls(start, end, by)


def _where(viewer: Actor, period: Period, args: list) -> str:
    args.extend([period.start, period.end + timedelta(days=1)])
    scope = viewer.scope.sql("o.org", None, args)
    return f"o.created_at >= $1 AND o.created_at < $2 AND {scope}"


async def overview(viewer: Actor, period: Period) -> dict:
    args: list = []
    where = _where(viewer, period, args)
    row = await db.fetchrow(
        f"SELECT count(*) AS orders, count(*) FILTER (WHERE {SOLD}) AS sold,"
        f" COALESCE(sum(o.points_total) FILTER (WHERE {SOLD}), 0) AS points,"
        f" COALESCE(sum(o.cash_total) FILTER (WHERE {SOLD}), 0) AS cash,"
        f" count(DISTINCT o.\"user\") FILTER (WHERE {SOLD}) AS buyers,"
        f" count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled FROM mall_order o WHERE {where}", *args)
    return dict(row)


async def by_status(viewer: Actor, period: Period) -> list[dict]:
    args: list = []
    rows = await db.fetch(f"SELECT o.status, count(*) AS n FROM mall_order o WHERE {_where(viewer, period, args)}"
                          " GROUP BY o.status", *args)
    counts = {r["status"]: r["n"] for r in rows}
    return [{"key": k, "label": str(label), "value": counts.get(k, 0)} for k, label in STATUSES.items()]


async def by_period(viewer: Actor, period: Period) -> list[dict]:
    """One row per day or month of the period (zeros included): orders sold, points, cash (fen)."""
    args: list = []
    where = _where(viewer, period, args)
    unit = "month" if period.by == "month" else "day"
    rows = await db.fetch(
        f"SELECT g::date AS day, COALESCE(s.orders, 0) AS orders, COALESCE(s.points, 0) AS points,"
        f" COALESCE(s.cash, 0) AS cash FROM generate_series(date_trunc('{unit}', $1::date),"
        f" date_trunc('{unit}', $2::date - 1), interval '1 {unit}') g LEFT JOIN ("
        f" SELECT date_trunc('{unit}', o.created_at) AS bucket, count(*) AS orders, sum(o.points_total) AS points,"
        f" sum(o.cash_total) AS cash FROM mall_order o WHERE {where} AND {SOLD} GROUP BY 1) s ON s.bucket = g"
        " ORDER BY g", *args)
    fmt = "%Y-%m" if unit == "month" else "%m-%d"
    for row in rows:
        row["label"] = row["day"].strftime(fmt)
        row["period"] = row["day"].strftime("%Y-%m" if unit == "month" else "%Y-%m-%d")
    return rows


async def top_products(viewer: Actor, period: Period, limit: int = 10) -> list[dict]:
    args: list = []
    where = _where(viewer, period, args)
    return await db.fetch(
        f"SELECT i.product, max(i.name) AS name, sum(i.qty) AS qty, sum(i.qty * i.price_points) AS points,"
        f" count(DISTINCT o.id) AS orders FROM mall_order_item i JOIN mall_order o ON o.id = i.\"order\""
        f" WHERE {where} AND {SOLD} GROUP BY i.product ORDER BY qty DESC, points DESC LIMIT {int(limit)}", *args)

"""Staff view of orders (MALL-06/11): the filtered, paged list inside the viewer's data scope (buyer's
org, in the SQL) and the order detail, which outside the scope is 404."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.core import db, sqlfilter
from app.core.audit import Actor
from app.core.pagination import Page, PageRequest
from app.mall import orders

SORTS = {"created": "o.created_at", "no": "o.no", "points": "o.points_total", "status": "o.status"}


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    no: str = ""
    buyer: str = ""
    delivery: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: tuple = ()

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> OrderFilters:
        dates, errors = sqlfilter.dates(params, "date_from", "date_to")
        return cls(status=sqlfilter.choice(params, "status", orders.STATUSES),
                   no=sqlfilter.text(params, "no", 32), buyer=sqlfilter.text(params, "buyer", 64),
                   delivery=sqlfilter.choice(params, "delivery", orders.DELIVERY),
                   date_from=dates["date_from"], date_to=dates["date_to"], errors=tuple(errors.items()))


def _where(viewer: Actor, f: OrderFilters) -> sqlfilter.Where:
    where = sqlfilter.Where()
    where.add(viewer.scope.sql("o.org", None, where.args))
    where.equals("o.status", f.status).equals("o.delivery", f.delivery)
    where.contains("o.no", f.no, prefix_only=False)
    where.contains(("u.name", "u.username"), f.buyer)
    where.date_range("o.created_at", f.date_from, f.date_to)
    return where


async def list_orders(viewer: Actor, f: OrderFilters, req: PageRequest) -> Page:
    where = _where(viewer, f)
    base = f"FROM mall_order o JOIN app_user u ON u.id = o.\"user\" WHERE {where.sql()}"
    total = await db.fetchval(f"SELECT count(*) {base}", *where.args)
    order_by = req.order_by(SORTS, "o.created_at DESC, o.id DESC").replace(", id", ", o.id")
    rows = await db.fetch(
        f"SELECT o.id, o.no, o.status, o.delivery, o.points_total, o.cash_total, o.created_at, o.tracking_no,"
        f" u.name AS buyer_name, u.username AS buyer_username,"
        f" (SELECT string_agg(i.name || ' ×' || i.qty, ', ' ORDER BY i.id) FROM mall_order_item i"
        f"  WHERE i.\"order\" = o.id) AS summary {base} {order_by} LIMIT {req.per_page} OFFSET {req.offset}",
        *where.args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def status_counts(viewer: Actor) -> dict[str, int]:
    args: list = []
    scope = viewer.scope.sql("org", None, args)
    rows = await db.fetch(f"SELECT status, count(*) AS n FROM mall_order WHERE {scope} GROUP BY status", *args)
    return {r["status"]: r["n"] for r in rows}


async def get(viewer: Actor, order_id: int) -> dict:
    """The order if inside the viewer's scope; orders.NotFound otherwise."""
    args: list = [order_id]
    scope = viewer.scope.sql("org", None, args)
    if not await db.fetchval(f"SELECT 1 FROM mall_order WHERE id = $1 AND {scope}", *args):
        raise orders.NotFound()
    return await orders.get(order_id)

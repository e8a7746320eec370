"""Checkout (MALL-06): price the chosen SKUs, then place the order in ONE transaction — reserve stock with
a conditional UPDATE (never below zero, so concurrent buyers cannot oversell), spend the points through
the points service (which never overdraws), insert the order, items and payments. Any refusal rolls
all of it back. The request key from the checkout form makes a double submit return the same order."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.mall import orders


@dataclass(frozen=True)
class Line:
    sku_id: int
    qty: int


def as_dict(value) -> dict:
    """jsonb columns arrive as text from asyncpg (no codec registered)."""
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def spec_text(spec) -> str:
    return " / ".join(f"{k}: {v}" for k, v in as_dict(spec).items())


async def load_lines(lines: list[Line]) -> list[dict]:
    """The SKUs with their product, in the order given; unknown SKUs are dropped."""
    if not lines:
        return []
    rows = await db.fetch(
        "SELECT s.id AS sku_id, s.spec, s.price_points, s.price_cash, s.stock, s.status AS sku_status,"
        " p.id AS product_id, p.name, p.cover, p.status AS product_status, p.delivery_modes"
        " FROM mall_sku s JOIN mall_product p ON p.id = s.product WHERE s.id = ANY($1::bigint[])",
        [line.sku_id for line in lines])
    by_id = {r["sku_id"]: r for r in rows}
    out = []
    for line in lines:
        if line.sku_id in by_id and line.qty > 0:
            row = dict(by_id[line.sku_id])
            row.update(qty=line.qty, spec_text=spec_text(row["spec"]), points=row["price_points"] * line.qty,
                       cash=row["price_cash"] * line.qty,
                       available=row["sku_status"] == "active" and row["product_status"] == "on_shelf")
            out.append(row)
    return out


def delivery_modes(items: list[dict]) -> list[str]:
    """Modes every item allows (a product with none set allows both)."""
    modes = ["express", "pickup"]
    for item in items:
        allowed = item["delivery_modes"] or modes
        modes = [m for m in modes if m in allowed]
    return modes


async def quote(user_id: int, lines: list[Line], delivery: str = "express", region_code: str = "") -> dict:
    """What the checkout page shows: items, totals, shipping fee, balance."""
    from app.mall import delivery as delivery_rules
    from app.points import api as points

    items = await load_lines(lines)
    points_total = sum(i["points"] for i in items)
    fee = await delivery_rules.shipping_fee(region_code, points_total) if delivery == "express" and region_code else 0
    return {"items": items, "points_total": points_total, "goods_cash": sum(i["cash"] for i in items),
            "shipping_fee": fee, "cash_total": sum(i["cash"] for i in items) + fee,
            "balance": await points.balance(user_id), "modes": delivery_modes(items)}


async def _address(user_id: int, address_id: int | None) -> dict:
    row = await db.fetchrow("SELECT name, phone, region_code, region_name, detail FROM mall_address"
                            " WHERE id = $1 AND \"user\" = $2", address_id, user_id) if address_id else None
    if row is None:
        raise Invalid("address", _("Choose a delivery address."))
    return row


async def _pickup_point(point_id: int | None) -> int:
    ok = point_id and await db.fetchval("SELECT id FROM mall_pickup_point WHERE id = $1 AND enabled", point_id)
    if not ok:
        raise Invalid("pickup_point", _("Choose a pickup point."))
    return point_id


async def place_order(user_id: int, lines: list[Line], *, delivery: str, request_key: str, actor: Actor,
                      address_id: int | None = None, pickup_point_id: int | None = None, remark: str = "",
                      from_cart: bool = False) -> dict:
    """Create the order atomically; returns the order row. Raises Invalid with a message for the buyer."""
    from app.mall import delivery as delivery_rules
    from app.points import api as points

    request_key = (request_key or "").strip()[:64]
    if not request_key:
        raise Invalid("", _("The checkout form expired. Please try again."))
    existing = await db.fetchrow("SELECT * FROM mall_order WHERE request_key = $1", request_key)
    if existing:
        return _same_buyer(existing, user_id)
    if delivery not in orders.DELIVERY:
        raise Invalid("delivery", _("Choose express delivery or self pickup."))
    async with db.transaction():
        order_id = await db.fetchval("SELECT nextval(pg_get_serial_sequence('mall_order', 'id'))")
        now = datetime.now(UTC)
        no = f"M{now:%y%m%d}{order_id:06d}"
        # Claim the request key first: a concurrent double submit waits here and then finds it taken.
        # Stock is reserved last (see _reserve_stock); any refusal on the way rolls everything back.
        claimed = await db.fetchval(
            "INSERT INTO mall_order (id, no, \"user\", delivery, request_key, org, remark, created_by, updated_by)"
            " SELECT $1, $2, $3::bigint, $4, $5, org, $6, $3::bigint, $3::bigint FROM app_user WHERE id = $3::bigint"
            " ON CONFLICT (request_key) DO NOTHING RETURNING id",
            order_id, no, user_id, delivery, request_key, (remark or "").strip()[:200])
        if claimed is None:
            existing = await db.fetchrow("SELECT * FROM mall_order WHERE request_key = $1", request_key)
            if existing is None:
                raise Invalid("", _("Unknown buyer."))
            return _same_buyer(existing, user_id)
        items = await load_lines(lines)
        if not items:
            raise Invalid("", _("Your order is empty."))
        for item in items:
            if not item["available"]:
                raise Invalid("", _("%(name)s is no longer available.", name=item["name"]))
        if delivery not in delivery_modes(items):
            raise Invalid("delivery", _("Some items cannot be delivered this way."))
        address, point, fee = {}, None, 0
        points_total = sum(i["points"] for i in items)
        if delivery == "express":
            address = await _address(user_id, address_id)
            fee = await delivery_rules.shipping_fee(address["region_code"], points_total)
        else:
            point = await _pickup_point(pickup_point_id)
        cash_total = sum(i["cash"] for i in items) + fee
        if points_total:
            try:
                await points.spend(user_id, points_total, key=f"mall-order-{request_key}",
                                   reason=_("Mall order %(no)s", no=no), ref=no, actor=actor)
            except points.InsufficientPoints as exc:
                raise Invalid("points", str(exc)) from None
        status = "pending_payment" if cash_total else "pending_shipment"
        minutes = await orders.setting("mall.pay_timeout_minutes")
        row = await db.fetchrow(
            "UPDATE mall_order SET status = $2, address = $3::jsonb, pickup_point = $4, pickup_code = $5,"
            " points_total = $6, cash_total = $7, shipping_fee = $8, pay_deadline = $9, paid_at = $10"
            " WHERE id = $1 RETURNING *",
            order_id, status, _json(address), point,
            f"{100 + secrets.randbelow(900)}{order_id:05d}" if delivery == "pickup" else "",
            points_total, cash_total, fee, now + timedelta(minutes=minutes) if cash_total else None,
            None if cash_total else now)
        await db.execute(
            "INSERT INTO mall_order_item (\"order\", sku, product, name, spec, cover, qty, price_points, price_cash)"
            " SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[],"
            " $8::int[], $9::int[])", order_id, [i["sku_id"] for i in items], [i["product_id"] for i in items],
            [i["name"] for i in items], [i["spec_text"] for i in items], [i["cover"] for i in items],
            [i["qty"] for i in items], [i["price_points"] for i in items], [i["price_cash"] for i in items])
        if points_total:
            await db.execute("INSERT INTO mall_payment (\"order\", method, amount, status, paid_at, created_by)"
                             " VALUES ($1, 'points', $2, 'paid', now(), $3)", order_id, points_total, user_id)
        if cash_total:
            await db.execute("INSERT INTO mall_payment (\"order\", method, amount, status, created_by)"
                             " VALUES ($1, 'cash', $2, 'pending', $3)", order_id, cash_total, user_id)
        if from_cart:
            await db.execute("DELETE FROM mall_cart WHERE \"user\" = $1 AND sku = ANY($2::bigint[])", user_id,
                             [i["sku_id"] for i in items])
        await audit.record(actor, "mall.order.create", "mall_order", order_id,
                           after={"no": no, "points": points_total, "cash": cash_total,
                                  "items": [[i["sku_id"], i["qty"]] for i in items]},
                           summary=no, org_id=row["org"])
        await orders.log_event(row, "", status, actor, _("Order placed"))
        await _reserve_stock(items)
        return {**row, "address": as_dict(row["address"])}


async def _reserve_stock(items: list[dict]) -> None:
    """Last step before commit, so the hot SKU/product rows stay locked only for the commit itself
    (everyone buying the same item queues on these rows). SKUs in id order: no deadlocks between
    multi-item orders; the WHERE refuses to oversell and the CHECK (stock >= 0) backs it up."""
    for item in sorted(items, key=lambda i: i["sku_id"]):
        left = await db.fetchval("UPDATE mall_sku SET stock = stock - $2, updated_at = now()"
                                 " WHERE id = $1 AND stock >= $2 RETURNING stock", item["sku_id"], item["qty"])
        if left is None:
            raise Invalid("stock", _("Not enough stock of %(name)s.", name=item["name"]))
    for item in sorted(items, key=lambda i: i["product_id"]):
        await db.execute("UPDATE mall_product SET sales = sales + $2 WHERE id = $1", item["product_id"], item["qty"])


def _same_buyer(order: dict, user_id: int) -> dict:
    if order["user"] != user_id:
        raise Invalid("", _("The checkout form expired. Please try again."))
    return {**order, "address": as_dict(order["address"])}


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def page(user_id: int, lines: list[Line], delivery: str = "", address_id: int | None = None,
               pickup_point_id: int | None = None) -> dict:
    """Everything the checkout page shows for the current choices (defaults filled in)."""
    from app.mall import addresses
    from app.mall import delivery as delivery_rules

    book = await addresses.list_for(user_id)
    chosen = next((a for a in book if a["id"] == address_id), None) or (book[0] if book else None)
    points_ = await delivery_rules.pickup_points()
    summary = await quote(user_id, lines, "express", chosen["region_code"] if chosen else "")
    modes = summary["modes"]
    delivery = delivery if delivery in modes else (modes[0] if modes else "express")
    if delivery != "express":
        summary = await quote(user_id, lines, delivery)
    point = next((p for p in points_ if p["id"] == pickup_point_id), None) or (points_[0] if points_ else None)
    return {**summary, "delivery": delivery, "addresses": book, "address": chosen, "pickup_points": points_,
            "pickup_point": point, "enough": summary["balance"] >= summary["points_total"]}

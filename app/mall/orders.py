"""Order state machine (MALL-06): one function per transition. Each moves the order only from the
states it allows (a conditional UPDATE, so two clicks or a job racing a user cannot both win), writes
the timeline event and the audit log in the same transaction, and tells the buyer (notify
"mall_order_status"). Cancelling returns stock and refunds points.

pending_payment → pending_shipment → pending_receipt → pending_review → completed; cancelled from the
first two. Pickup orders skip shipping: verifying the pickup code moves them to pending_review."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core import audit, db, notify, settings_store
from app.core.audit import SYSTEM, Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

STATUSES = {
    "pending_payment": L("Pending payment"),
    "pending_shipment": L("Pending shipment"),
    "pending_receipt": L("Pending receipt"),
    "pending_review": L("Pending review"),
    "completed": L("Completed"),
    "cancelled": L("Cancelled"),
}
DELIVERY = {"express": L("Express delivery"), "pickup": L("Self pickup")}
# Timeouts are site settings (SUP-11), editable without a deploy.
settings_store.DEFAULTS.setdefault("mall.pay_timeout_minutes", 30)
settings_store.DEFAULTS.setdefault("mall.auto_confirm_days", 10)
settings_store.DEFAULTS.setdefault("mall.auto_complete_days", 7)
notify.DEFAULT_TEMPLATES.setdefault("mall_order_status", (L("Mall order status"), {
    "inbox": (L("Order {{ no }}: {{ status }}"), L("Your order {{ no }} is now: {{ status }}. {{ note }}")),
}))


class NotFound(Exception):
    pass


def status_label(status: str) -> str:
    return str(STATUSES.get(status, status))


async def setting(key: str) -> int:
    return int(await settings_store.get(key))


async def get(order_id: int) -> dict:
    order = await db.fetchrow("SELECT o.*, u.name AS user_name, u.username, pp.name AS pickup_name,"
                              " pp.address AS pickup_address, pp.hours AS pickup_hours, pp.phone AS pickup_phone"
                              " FROM mall_order o JOIN app_user u ON u.id = o.\"user\""
                              " LEFT JOIN mall_pickup_point pp ON pp.id = o.pickup_point WHERE o.id = $1", order_id)
    if order is None:
        raise NotFound()
    order["address"] = json.loads(order["address"]) if isinstance(order["address"], str) else order["address"]
    order["items"] = await db.fetch("SELECT * FROM mall_order_item WHERE \"order\" = $1 ORDER BY id", order_id)
    order["events"] = await db.fetch(
        "SELECT e.*, u.name AS actor_name FROM mall_order_event e LEFT JOIN app_user u ON u.id = e.actor"
        " WHERE e.\"order\" = $1 ORDER BY e.at, e.id", order_id)
    order["payments"] = await db.fetch("SELECT * FROM mall_payment WHERE \"order\" = $1 ORDER BY id", order_id)
    return order


async def get_for_user(user_id: int, order_id: int) -> dict:
    """An alumnus sees only their own orders (anything else is 404)."""
    order = await get(order_id)
    if order["user"] != user_id:
        raise NotFound()
    return order


async def _transition(order_id: int, allowed: tuple[str, ...], to: str, actor: Actor, note: str = "",
                      sets: dict[str, Any] | None = None, *, where: str = "") -> dict:
    """Move one order; refuse (Conflict) if it is no longer in an allowed state."""
    sets = dict(sets or {})
    assignments = "".join(f", {col} = ${i + 5}" for i, col in enumerate(sets))
    row = await db.fetchrow(
        f"UPDATE mall_order SET status = $2, updated_at = now(), updated_by = $3{assignments}"
        f" WHERE id = $1 AND status = ANY($4::text[]) {where} RETURNING *",
        order_id, to, actor.id, list(allowed), *sets.values())
    if row is None:
        current = await db.fetchval("SELECT status FROM mall_order WHERE id = $1", order_id)
        if current is None:
            raise NotFound()
        raise Conflict(_("The order is %(status)s; this action is not possible now.", status=status_label(current)))
    before = [s for s in allowed if s != to]
    await log_event(row, before[0] if len(before) == 1 else "", to, actor, note)
    return row


async def log_event(order: dict, from_status: str, to: str, actor: Actor, note: str = "") -> None:
    """Timeline row + audit + message to the buyer, all in the caller's transaction."""
    await db.execute("INSERT INTO mall_order_event (\"order\", from_status, to_status, actor, note)"
                     " VALUES ($1, $2, $3, $4, $5)", order["id"], from_status, to, actor.id, note[:300])
    await audit.record(actor, f"mall.order.{to}", "mall_order", order["id"], after={"status": to, "note": note},
                       summary=f"{order['no']} → {to}", org_id=order.get("org"))
    await notify.notify([order["user"]], "mall_order_status",
                        {"no": order["no"], "status": status_label(to), "note": note},
                        url=f"/h5/mall/orders/{order['id']}")


async def mark_paid(order_id: int, provider_ref: str, actor: Actor = SYSTEM) -> dict:
    """The payment provider confirmed the cash part (idempotent: a repeated callback is a no-op)."""
    async with db.transaction():
        paid = await db.fetchrow("SELECT id FROM mall_payment WHERE \"order\" = $1 AND method = 'cash'"
                                 " AND status = 'paid'", order_id)
        if paid:
            return await db.fetchrow("SELECT * FROM mall_order WHERE id = $1", order_id)
        row = await _transition(order_id, ("pending_payment",), "pending_shipment", actor, _("Paid"),
                                {"paid_at": datetime.now(UTC)})
        await db.execute("UPDATE mall_payment SET status = 'paid', paid_at = now(), provider_ref = $2,"
                         " updated_at = now() WHERE \"order\" = $1 AND method = 'cash'", order_id, provider_ref)
        return row


async def cancel(order_id: int, actor: Actor, reason: str, *, by_buyer: bool = False) -> dict:
    """Buyers cancel unpaid orders; staff (mall.order.cancel) also orders not yet shipped. Stock goes
    back to the SKUs and the points spent come back to the buyer, in the same transaction."""
    from app.points import api as points

    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give a reason for cancelling."))
    allowed = ("pending_payment",) if by_buyer else ("pending_payment", "pending_shipment")
    if by_buyer and await db.fetchval("SELECT \"user\" FROM mall_order WHERE id = $1", order_id) != actor.id:
        raise NotFound()  # nobody cancels someone else's order
    async with db.transaction():
        row = await _transition(order_id, allowed, "cancelled", actor, reason,
                                {"cancelled_at": datetime.now(UTC), "cancel_reason": reason[:200]})
        items = await db.fetch("SELECT sku, product, qty FROM mall_order_item WHERE \"order\" = $1 ORDER BY sku",
                               order_id)
        for item in items:
            if item["sku"]:
                await db.execute("UPDATE mall_sku SET stock = stock + $2, updated_at = now() WHERE id = $1",
                                 item["sku"], item["qty"])
            if item["product"]:
                await db.execute("UPDATE mall_product SET sales = GREATEST(sales - $2, 0) WHERE id = $1",
                                 item["product"], item["qty"])
        if row["points_total"]:
            await points.refund(row["user"], key=f"mall-refund-{row['request_key']}",
                                original_key=f"mall-order-{row['request_key']}",
                                reason=_("Order %(no)s cancelled", no=row["no"]), actor=actor)
        await db.execute("UPDATE mall_payment SET status = CASE WHEN status = 'paid' THEN 'refunded' ELSE 'failed' END,"
                         " updated_at = now() WHERE \"order\" = $1", order_id)
        return row


async def ship(order_id: int, actor: Actor, carrier: str, tracking_no: str) -> dict:
    carrier, tracking_no = (carrier or "").strip(), (tracking_no or "").strip()
    if not carrier:
        raise Invalid("carrier", _("Enter the carrier."))
    if not tracking_no:
        raise Invalid("tracking_no", _("Enter the tracking number."))
    now = datetime.now(UTC)
    days = await setting("mall.auto_confirm_days")
    async with db.transaction():
        return await _transition(order_id, ("pending_shipment",), "pending_receipt", actor,
                                 f"{carrier} {tracking_no}",
                                 {"shipped_at": now, "carrier": carrier[:64], "tracking_no": tracking_no[:64],
                                  "auto_confirm_at": now + timedelta(days=days)},
                                 where="AND delivery = 'express'")


async def find_by_pickup_code(code: str) -> dict | None:
    code = (code or "").strip()
    if not code:
        return None
    row = await db.fetchrow("SELECT id FROM mall_order WHERE pickup_code = $1", code)
    return await get(row["id"]) if row else None


async def verify_pickup(code: str, actor: Actor) -> dict:
    """Staff at the pickup point enter (or scan) the buyer's code: handed over → pending review."""
    order = await find_by_pickup_code(code)
    if order is None or order["delivery"] != "pickup":
        raise Invalid("code", _("No pickup order has this code."))
    async with db.transaction():
        return await _transition(order["id"], ("pending_shipment", "pending_receipt"), "pending_review", actor,
                                 _("Picked up"), {"received_at": datetime.now(UTC)})


async def confirm_receipt(order_id: int, actor: Actor, *, buyer_id: int | None = None, note: str = "") -> dict:
    async with db.transaction():
        if buyer_id is not None:
            await get_for_user(buyer_id, order_id)
        return await _transition(order_id, ("pending_receipt",), "pending_review", actor,
                                 note or _("Receipt confirmed"), {"received_at": datetime.now(UTC)})


async def complete(order_id: int, actor: Actor, note: str = "") -> dict:
    async with db.transaction():
        return await _transition(order_id, ("pending_review",), "completed", actor, note or _("Completed"),
                                 {"completed_at": datetime.now(UTC)})


async def submit_review(buyer_id: int, order_id: int, item_id: int, stars: int, text: str, photos: list[str],
                        actor: Actor) -> int:
    """A review waits for moderation (MALL-09); once every item is reviewed the order is completed."""
    if not 1 <= int(stars or 0) <= 5:
        raise Invalid("stars", _("Choose 1 to 5 stars."))
    async with db.transaction():
        order = await get_for_user(buyer_id, order_id)
        if order["status"] != "pending_review":
            raise Conflict(_("This order cannot be reviewed now."))
        item = next((i for i in order["items"] if i["id"] == item_id), None)
        if item is None:
            raise NotFound()
        if item["reviewed"]:
            raise Conflict(_("You already reviewed this item."))
        review_id = await db.fetchval(
            "INSERT INTO mall_review (order_item, \"user\", product, stars, text, photos, created_by, updated_by)"
            " VALUES ($1, $2::bigint, $3, $4, $5, $6, $2::bigint, $2::bigint) RETURNING id",
            item_id, buyer_id, item["product"], int(stars), (text or "").strip()[:2000], photos[:9])
        await db.execute("UPDATE mall_order_item SET reviewed = TRUE WHERE id = $1", item_id)
        await audit.record(actor, "mall.review.create", "mall_review", review_id,
                           after={"stars": stars, "order": order["no"]}, org_id=order["org"])
        if not await db.fetchval("SELECT count(*) FROM mall_order_item WHERE \"order\" = $1 AND NOT reviewed",
                                 order_id):
            await _transition(order_id, ("pending_review",), "completed", actor, _("Reviewed"),
                              {"completed_at": datetime.now(UTC)})
        return review_id


# --- timeouts (the "mall.order_timeouts" job, every minute: see module.py) ------------------------

async def run_timeouts() -> dict:
    """Cancel unpaid orders after the payment deadline (stock and points come back), confirm receipt N days
    after shipping, complete unreviewed orders N days after receipt. Each transition is its own
    transaction, so one failure does not hold up the rest."""
    return {"cancelled": await cancel_unpaid_orders(), "confirmed": await confirm_overdue_receipts(),
            "completed": await complete_unreviewed_orders()}


async def _due(sql: str) -> list[int]:
    return [r["id"] for r in await db.fetch(sql)]


async def cancel_unpaid_orders() -> int:
    """Unpaid after the deadline: cancelled by the system, stock and points back."""
    done = 0
    for order_id in await _due("SELECT id FROM mall_order WHERE status = 'pending_payment'"
                               " AND pay_deadline < now() ORDER BY id LIMIT 1000"):
        try:
            await cancel(order_id, SYSTEM, _("Not paid in time"))
            done += 1
        except Conflict:
            pass  # paid or cancelled meanwhile
    return done


async def confirm_overdue_receipts() -> int:
    done = 0
    for order_id in await _due("SELECT id FROM mall_order WHERE status = 'pending_receipt'"
                               " AND auto_confirm_at < now() ORDER BY id LIMIT 1000"):
        try:
            await confirm_receipt(order_id, SYSTEM, note=_("Receipt confirmed automatically"))
            done += 1
        except Conflict:
            pass
    return done


async def complete_unreviewed_orders() -> int:
    days = await setting("mall.auto_complete_days")
    done = 0
    for row in await db.fetch("SELECT id FROM mall_order WHERE status = 'pending_review'"
                              " AND received_at < now() - make_interval(days => $1) ORDER BY id LIMIT 1000", days):
        try:
            await complete(row["id"], SYSTEM, _("Completed automatically"))
            done += 1
        except Conflict:
            pass
    return done


async def list_for_user(user_id: int, status: str = "", page: int = 1, per_page: int = 10):
    from app.core.pagination import Page

    args: list = [user_id]
    where = "\"user\" = $1"
    if status in STATUSES:
        args.append(status)
        where += " AND status = $2"
    total = await db.fetchval(f"SELECT count(*) FROM mall_order WHERE {where}", *args)
    page = max(1, page)
    rows = await db.fetch(f"SELECT * FROM mall_order WHERE {where} ORDER BY created_at DESC, id DESC"
                          f" LIMIT {per_page} OFFSET {(page - 1) * per_page}", *args)
    items = await db.fetch("SELECT \"order\", name, spec, cover, qty FROM mall_order_item"
                           " WHERE \"order\" = ANY($1::bigint[]) ORDER BY id", [r["id"] for r in rows])
    for row in rows:
        row["items"] = [i for i in items if i["order"] == row["id"]]
    return Page(rows, total, page, per_page)

"""Order printing (MALL-07): A4 order sheets, packing lists, 100×150 mm shipping labels and 100×100 mm
pickup labels with a Code 128 barcode of the order no and a QR code. A batch is ONE HTML document laid
out by ONE WeasyPrint render (one page per order): fonts load and subset once, which is what makes 500
sheets fast. Batches over INLINE_MAX orders run as a job (print_batches.py) and wait as a download."""
from __future__ import annotations

import json
import os
from datetime import datetime

from app.config import get_settings
from app.core import audit, db, pdf, settings_store
from app.core.audit import Actor
from app.core.barcodes import code128_svg
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.qrcodes import qr_img
from app.mall.orders import DELIVERY, STATUSES

KINDS = {"sheet": L("Order sheets (A4)"), "packing": L("Packing lists"),
         "label100x150": L("Shipping labels 100×150"), "label100x100": L("Pickup labels 100×100")}
TEMPLATES = {"sheet": "mall/order_sheet.html", "packing": "mall/packing_list.html",
             "label100x150": "mall/label.html", "label100x100": "mall/label.html"}
INLINE_MAX = 50  # more than this prints as a background job
MAX_BATCH = 2000


def parse_ids(raw) -> list[int]:
    """ids from "1,2,3", repeated fields or a list; order kept, duplicates dropped."""
    values = raw if isinstance(raw, list) else [raw]
    out: list[int] = []
    for value in values:
        out.extend(int(v) for v in str(value or "").split(",") if v.strip().isdigit())
    return list(dict.fromkeys(out))


def check(ids: list[int], kind: str) -> None:
    if kind not in KINDS:
        raise Invalid("kind", _("Choose what to print."))
    if not ids:
        raise Invalid("ids", _("Select at least one order."))
    if len(ids) > MAX_BATCH:
        raise Invalid("ids", _("Print at most %(n)s orders at once.", n=MAX_BATCH))


async def load_orders(actor: Actor, ids: list[int]) -> list[dict]:
    """The orders (in the given order) inside the actor's data scope, with items: two queries in all."""
    args: list = [ids]
    scope = actor.scope.sql("o.org", None, args)
    orders = await db.fetch(
        "SELECT o.*, u.name AS user_name, u.username, u.phone AS user_phone, pp.name AS pickup_name,"
        " pp.address AS pickup_address, pp.hours AS pickup_hours, pp.phone AS pickup_phone"
        " FROM mall_order o JOIN app_user u ON u.id = o.\"user\""
        " LEFT JOIN mall_pickup_point pp ON pp.id = o.pickup_point"
        f" WHERE o.id = ANY($1::bigint[]) AND {scope}", *args)
    items = await db.fetch("SELECT i.*, k.code AS sku_code FROM mall_order_item i LEFT JOIN mall_sku k ON k.id = i.sku"
                           " WHERE i.\"order\" = ANY($1::bigint[]) ORDER BY i.id", [o["id"] for o in orders])
    by_order: dict[int, list[dict]] = {}
    for item in items:
        by_order.setdefault(item["order"], []).append(item)
    position = {order_id: i for i, order_id in enumerate(ids)}
    for order in orders:
        order["items"] = by_order.get(order["id"], [])
        if isinstance(order["address"], str):
            order["address"] = json.loads(order["address"] or "{}")
    return sorted(orders, key=lambda o: position[o["id"]])


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def _decorate(order: dict, kind: str, base_url: str) -> dict:
    """Per-order print values: barcode (labels), QR to the admin order page, labels for codes."""
    order["status_label"] = str(STATUSES.get(order["status"], order["status"]))
    order["delivery_label"] = str(DELIVERY.get(order["delivery"], order["delivery"]))
    order["created"] = _when(order["created_at"])
    order["paid"] = _when(order["paid_at"])
    order["qty_total"] = sum(i["qty"] for i in order["items"])
    order["qr"] = qr_img(f"{base_url}/admin/mall/orders/{order['id']}")
    if kind.startswith("label"):
        order["barcode"] = code128_svg(order["no"], height=14 if kind == "label100x150" else 11, module=0.3)
    return order


async def context(actor: Actor, ids: list[int], kind: str) -> dict:
    check(ids, kind)
    orders = await load_orders(actor, ids)
    if not orders:
        raise Invalid("ids", _("None of the selected orders can be printed."))
    base_url = get_settings().public_url().rstrip("/")
    now = datetime.now().astimezone()
    return {"orders": [_decorate(o, kind, base_url) for o in orders], "kind": kind, "kind_label": str(KINDS[kind]),
            "site_name": await settings_store.get("site.name"), "printed_at": _when(now), "printed_by": actor.name,
            "label_size": (100, 150) if kind == "label100x150" else (100, 100)}


def filename(kind: str, orders: list[dict]) -> str:
    first = orders[0]["no"]
    suffix = f"-{len(orders)}" if len(orders) > 1 else ""
    return f"mall-{kind}-{first}{suffix}.pdf"


async def render(actor: Actor, ids: list[int], kind: str) -> tuple[str, bytes, int]:
    """(filename, PDF, order count); the print is audited (one row per batch)."""
    ctx = await context(actor, ids, kind)
    data = await pdf.render_pdf_async(TEMPLATES[kind], **ctx)
    await audit_print(actor, kind, ctx["orders"])
    return filename(kind, ctx["orders"]), data, len(ctx["orders"])


PARALLEL_FROM = 100  # orders; below this one process is quicker than starting more


def render_sync(ctx: dict) -> bytes:
    """The blocking render (jobs run it in a worker thread). Big batches are laid out in one process per
    core, each a contiguous slice of the orders, then joined (500 A4 sheets: about half the time on 2 cores)."""
    template, orders = TEMPLATES[ctx["kind"]], ctx["orders"]
    workers = min(os.cpu_count() or 1, 4)
    if len(orders) < PARALLEL_FROM or workers < 2:
        return pdf.render_pdf(template, **ctx)
    size = -(-len(orders) // workers)
    return pdf.html_to_pdf_parallel([pdf.render_html(template, **{**ctx, "orders": orders[i:i + size]})
                                     for i in range(0, len(orders), size)])


async def audit_print(actor: Actor, kind: str, orders: list[dict]) -> None:
    await audit.record(actor, "print", "mall_order", ",".join(str(o["id"]) for o in orders[:20]),
                       summary=f"{kind} × {len(orders)}", after={"kind": kind, "ids": [o["id"] for o in orders]})

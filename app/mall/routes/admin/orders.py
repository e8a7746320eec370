"""Admin orders (MALL-06/07/11): list with status tabs, filters, paging and bulk selection feeding the
print actions; detail with timeline and the ship / cancel / picked-up actions, each shown only with its
permission and refused by its route without it; the pickup verification page (code or scanned QR)."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.mall import order_search, orders, printing


@get("/admin/mall/orders", guards=[requires("mall.order.view")])
async def order_list(request: Request) -> Response:
    filters = order_search.OrderFilters.from_query(request.query_params)
    who = actor(request)
    page = await order_search.list_orders(who, filters, PageRequest.from_query(request.query_params))
    return await render(request, "mall/admin/orders.html", page=page, filters=filters, statuses=orders.STATUSES,
                        delivery=orders.DELIVERY, counts=await order_search.status_counts(who),
                        print_kinds=printing.KINDS, block="results")


@post("/admin/mall/orders/print", guards=[requires("mall.order.print")])
async def order_print(request: Request) -> Response:
    """Bulk selection → the print page (GET, bookmarkable) with the chosen ids and kind."""
    data = await form_data(request)
    ids = data.get("ids") or []
    ids = [i for i in (ids if isinstance(ids, list) else [ids]) if str(i).isdigit()]
    kind = request.query_params.get("kind") if request.query_params.get("kind") in printing.KINDS else "sheet"
    if not ids:
        return redirect(request, "/admin/mall/orders", _("Select at least one order."), "error")
    return redirect(request, "/admin/mall/print?" + urlencode({"ids": ",".join(ids), "kind": kind}))


async def _detail(request: Request, order_id: int, errors: dict | None = None, values: dict | None = None,
                  status: int = 200) -> Response:
    try:
        order = await order_search.get(actor(request), order_id)
    except orders.NotFound:
        raise NotFoundException() from None
    return await render(request, "mall/admin/order.html", o=order, statuses=orders.STATUSES, delivery=orders.DELIVERY,
                        errors=errors or {}, values=values or {}, print_kinds=printing.KINDS, status=status)


@get("/admin/mall/orders/{order_id:int}", guards=[requires("mall.order.view")])
async def order_detail(request: Request, order_id: int) -> Response:
    return await _detail(request, order_id)


@post("/admin/mall/orders/{order_id:int}/ship", guards=[requires("mall.order.view", "mall.order.ship")])
async def order_ship(request: Request, order_id: int) -> Response:
    data = await form_data(request)
    await _detail_guard(request, order_id)
    try:
        await orders.ship(order_id, actor(request), data.get("carrier") or "", data.get("tracking_no") or "")
    except Invalid as exc:
        return await _detail(request, order_id, {exc.field: exc.message}, data, status=422)
    except Conflict as exc:
        return redirect(request, f"/admin/mall/orders/{order_id}", str(exc), "error")
    return redirect(request, f"/admin/mall/orders/{order_id}", _("Order shipped. The buyer was notified."))


async def _detail_guard(request: Request, order_id: int) -> dict:
    try:
        return await order_search.get(actor(request), order_id)
    except orders.NotFound:
        raise NotFoundException() from None


@get("/admin/mall/orders/{order_id:int}/cancel", guards=[requires("mall.order.view", "mall.order.cancel")])
async def order_cancel_confirm(request: Request, order_id: int) -> Response:
    order = await _detail_guard(request, order_id)
    return await render(request, "mall/admin/order_cancel.html", o=order, error=None, reason="")


@post("/admin/mall/orders/{order_id:int}/cancel", guards=[requires("mall.order.view", "mall.order.cancel")])
async def order_cancel(request: Request, order_id: int) -> Response:
    order = await _detail_guard(request, order_id)
    reason = ((await form_data(request)).get("reason") or "").strip()
    try:
        await orders.cancel(order_id, actor(request), reason)
    except Invalid as exc:
        return await render(request, "mall/admin/order_cancel.html", o=order, error=exc.message, reason=reason,
                            status=422)
    except Conflict as exc:
        return redirect(request, f"/admin/mall/orders/{order_id}", str(exc), "error")
    return redirect(request, f"/admin/mall/orders/{order_id}",
                    _("Order cancelled. Stock and points were returned."))


@get("/admin/mall/pickup-verify", guards=[requires("mall.order.pickup")])
async def pickup_page(request: Request) -> Response:
    """Type the buyer's code, or scan the QR on their phone (it opens this page with ?code=…)."""
    code = (request.query_params.get("code") or "").strip()[:16]
    order = await orders.find_by_pickup_code(code) if code else None
    return await render(request, "mall/admin/pickup_verify.html", code=code, o=order, error=None,
                        statuses=orders.STATUSES)


@post("/admin/mall/pickup-verify", guards=[requires("mall.order.pickup")])
async def pickup_verify(request: Request) -> Response:
    code = ((await form_data(request)).get("code") or "").strip()[:16]
    try:
        order = await orders.verify_pickup(code, actor(request))
    except (Invalid, Conflict) as exc:
        found = await orders.find_by_pickup_code(code)
        return await render(request, "mall/admin/pickup_verify.html", code=code, o=found, statuses=orders.STATUSES,
                            error=getattr(exc, "message", None) or str(exc), status=422)
    return redirect(request, "/admin/mall/pickup-verify", _("Order %(no)s handed over.", no=order["no"]))


ROUTES = [order_list, order_print, order_detail, order_ship, order_cancel_confirm, order_cancel, pickup_page,
          pickup_verify]

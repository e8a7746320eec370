"""H5 checkout (MALL-06/08): items from "buy now" (sku + qty in the URL) or the cart; express to an
address from the book or self pickup; shipping fee, points total and balance; confirm. A fresh request
key per page view makes a double submit place one order. Changing a choice re-renders the page (a plain
"Update" button; htmx does it on change)."""
from __future__ import annotations

import uuid

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, int_param, redirect, render
from app.mall import checkout, shop
from app.mall.routes.h5 import H5


async def _lines(user_id: int, params) -> list[checkout.Line]:
    if params.get("from") == "cart":
        return shop.lines_from_cart(await shop.cart(user_id))
    sku, qty = int_param(params.get("sku")), int_param(params.get("qty")) or 1
    return [checkout.Line(sku, max(1, min(qty, shop.MAX_QTY)))] if sku else []


async def _page(request: Request, params, errors: dict | None = None, status: int = 200) -> Response:
    user_id = actor(request).id
    lines = await _lines(user_id, params)
    if not lines:
        return redirect(request, "/h5/mall/cart", _("Your order is empty."), "error")
    data = await checkout.page(user_id, lines, params.get("delivery") or "", int_param(params.get("address")),
                               int_param(params.get("pickup_point")))
    back = request.url.path + "?" + request.url.query if request.method == "GET" else "/h5/mall/cart"
    return await render(request, "mall/h5/checkout.html", c=data, errors=errors or {}, status=status,
                        source={"from": params.get("from") or "", "sku": params.get("sku") or "",
                                "qty": params.get("qty") or ""},
                        request_key=params.get("request_key") or uuid.uuid4().hex, remark=params.get("remark") or "",
                        back=back, share_title=_("Check out"))


@get("/h5/mall/checkout", guards=H5)
async def checkout_page(request: Request) -> Response:
    return await _page(request, request.query_params)


@post("/h5/mall/checkout", guards=H5)
async def checkout_submit(request: Request) -> Response:
    data = await form_data(request)
    if data.get("action") == "refresh" or request.query_params.get("refresh"):
        return await _page(request, data)
    who = actor(request)
    try:
        order = await checkout.place_order(
            who.id, await _lines(who.id, data), delivery=data.get("delivery") or "",
            request_key=data.get("request_key"), actor=who, address_id=int_param(data.get("address")),
            pickup_point_id=int_param(data.get("pickup_point")), remark=data.get("remark") or "",
            from_cart=data.get("from") == "cart")
    except Invalid as exc:
        # A new key: the refused attempt left nothing behind, the next try is a new order.
        return await _page(request, {**data, "request_key": ""}, {exc.field or "__all__": exc.message}, status=422)
    if order["status"] == "pending_payment":
        return redirect(request, f"/pay/local/{order['id']}", _("Order placed. Please pay to complete it."))
    return redirect(request, f"/h5/mall/orders/{order['id']}", _("Order placed."))


ROUTES = [checkout_page, checkout_submit]

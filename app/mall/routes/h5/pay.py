"""The local pay page of app/adapters/payment.py (MALL-06 cash part): the buyer sees the amount and
presses Pay; the page posts the provider's signed callback, which marks the order paid. A forged or
altered callback is refused (403)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.adapters.payment import provider
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.core.web import actor, form_data, redirect, render
from app.mall import orders
from app.mall.routes.h5 import H5


@get("/pay/local/{order_id:int}", guards=H5)
async def pay_page(request: Request, order_id: int) -> Response:
    try:
        order = await orders.get_for_user(actor(request).id, order_id)
    except orders.NotFound:
        raise NotFoundException() from None
    if order["status"] != "pending_payment":
        return redirect(request, f"/h5/mall/orders/{order_id}")
    return await render(request, "mall/h5/pay.html", o=order,
                        token=provider().callback_token(order_id, order["cash_total"]),
                        share_title=_("Pay"))


@post("/pay/local/callback", guards=H5)
async def pay_callback(request: Request) -> Response:
    paid = provider().verify_callback((await form_data(request)).get("token") or "")
    if paid.kind != "mall":
        raise PermissionDenied()
    order = await orders.get(paid.order_id)
    if paid.amount != order["cash_total"]:
        raise PermissionDenied()
    try:
        await orders.mark_paid(paid.order_id, paid.provider_ref)
    except Conflict as exc:
        return redirect(request, f"/h5/mall/orders/{paid.order_id}", str(exc), "error")
    return redirect(request, f"/h5/mall/orders/{paid.order_id}", _("Payment received. Thank you!"))


ROUTES = [pay_page, pay_callback]

"""The local pay page of paid event tickets (OPS-02, app/adapters/payment.py with kind "ops"): the holder sees the
price and presses Pay; the page posts the provider's signed callback, which confirms the ticket. A forged, stale
or altered callback is refused (403, audited); a payment after the reservation lapsed is refunded."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.core.web import actor, form_data, redirect, render
from app.ops import payments
from app.ops.routes import service_errors
from app.ops.routes.h5 import H5


@get("/pay/local/ops/{registration_id:int}", guards=H5)
async def pay_page(request: Request, registration_id: int) -> Response:
    with service_errors():
        reg = await payments.unpaid_registration(actor(request).id, registration_id)
    if reg["status"] != "unpaid":
        return redirect(request, f"/h5/tickets/{registration_id}")
    return await render(request, "ops/h5/pay.html", reg=reg, token=payments.callback_token(reg),
                        share_title=_("Pay"))


@post("/pay/local/ops/callback", guards=H5)
async def pay_callback(request: Request) -> Response:
    try:
        reg = await payments.settle((await form_data(request)).get("token") or "", actor(request))
    except payments.PaymentRefused:
        raise PermissionDenied() from None
    except Conflict as exc:
        return redirect(request, "/h5/tickets", str(exc), "error")
    return redirect(request, f"/h5/tickets/{reg['id']}", _("Payment received: your ticket is confirmed."))


ROUTES = [pay_page, pay_callback]

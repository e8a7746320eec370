"""The alumnus's wallet (OPS-08): my coupons, one coupon with its code and QR (and a "use it now" button when
the holder may redeem it), and the counter page where listed staff type or scan a coupon's code."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render
from app.ops import coupons
from app.ops.routes import service_errors

H5 = [login_required]


@get("/h5/coupons", guards=H5)
async def wallet(request: Request) -> Response:
    return await render(request, "ops/h5/coupons.html", items=await coupons.wallet(actor(request).id))


async def _mine(request: Request, coupon_id: int) -> dict:
    with service_errors():
        return await coupons.get_coupon(actor(request), coupon_id)


@get("/h5/coupons/{coupon_id:int}", guards=H5)
async def coupon_page(request: Request, coupon_id: int) -> Response:
    row = await _mine(request, coupon_id)
    return await render(request, "ops/h5/coupon.html", coupon=row, token=coupons.coupon_token(row), error="")


@post("/h5/coupons/{coupon_id:int}/use", guards=H5)
async def coupon_use(request: Request, coupon_id: int) -> Response:
    row = await _mine(request, coupon_id)
    try:
        await coupons.redeem(actor(request), row["code"], by_holder=True)
    except Conflict as exc:
        return await render(request, "ops/h5/coupon.html", coupon=row, token=coupons.coupon_token(row),
                            error=str(exc), status=409)
    return redirect(request, f"/h5/coupons/{coupon_id}", _("Coupon used."))


@get("/h5/coupons/redeem", guards=H5)
async def counter(request: Request) -> Response:
    return await render(request, "ops/h5/redeem.html", result=None, error="")


@post("/h5/coupons/redeem", guards=H5)
async def counter_redeem(request: Request) -> Response:
    code = (await form_data(request)).get("code") or ""
    try:
        row = await coupons.redeem(actor(request), str(code))
    except Conflict as exc:
        return await render(request, "ops/h5/redeem.html", result=None, error=str(exc), status=409)
    return await render(request, "ops/h5/redeem.html", result=row, error="")


ROUTES = [wallet, coupon_page, coupon_use, counter, counter_redeem]

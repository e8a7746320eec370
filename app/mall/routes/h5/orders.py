"""The buyer's orders on the phone (MALL-06): list by state tabs, detail with timeline, pickup QR + code
and tracking; cancel an unpaid order (with a reason), confirm receipt, review each item (stars, text,
photos → a pending review, MALL-09). Another user's order is 404."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, int_param, page_param, redirect, render
from app.mall import orders, products
from app.mall.routes.h5 import H5, h5_confirm


async def _own(request: Request, order_id: int) -> dict:
    try:
        return await orders.get_for_user(actor(request).id, order_id)
    except orders.NotFound:
        raise NotFoundException() from None


@get("/h5/mall/orders", guards=H5)
async def order_list(request: Request) -> Response:
    status = request.query_params.get("status") or ""
    page = await orders.list_for_user(actor(request).id, status, page_param(request.query_params.get("page")))
    return await render(request, "mall/h5/orders.html", page=page, tab=status, statuses=orders.STATUSES,
                        share_title=_("My orders"))


@get("/h5/mall/orders/{order_id:int}", guards=H5)
async def order_detail(request: Request, order_id: int) -> Response:
    order = await _own(request, order_id)
    verify_url = str(request.base_url).rstrip("/") + f"/admin/mall/pickup-verify?code={order['pickup_code']}"
    return await render(request, "mall/h5/order.html", o=order, statuses=orders.STATUSES, delivery=orders.DELIVERY,
                        verify_url=verify_url, share_title=_("Order %(no)s", no=order["no"]))


@get("/h5/mall/orders/{order_id:int}/cancel", guards=H5)
async def cancel_confirm(request: Request, order_id: int) -> Response:
    order = await _own(request, order_id)
    return await h5_confirm(request, _("Cancel order"), _("Cancel order %(no)s? Points and stock are returned.",
                                                           no=order["no"]),
                            f"/h5/mall/orders/{order_id}/cancel", f"/h5/mall/orders/{order_id}", reason=True)


async def _act(request: Request, order_id: int, action) -> Response:
    await _own(request, order_id)
    try:
        message = await action()
    except (Conflict, Invalid) as exc:
        message = getattr(exc, "message", None) or str(exc)
        return redirect(request, f"/h5/mall/orders/{order_id}", message, "error")
    return redirect(request, f"/h5/mall/orders/{order_id}", message)


@post("/h5/mall/orders/{order_id:int}/cancel", guards=H5)
async def cancel(request: Request, order_id: int) -> Response:
    reason = (await form_data(request)).get("reason") or ""

    async def action():
        await orders.cancel(order_id, actor(request), reason or _("Cancelled by the buyer"), by_buyer=True)
        return _("Order cancelled. Your points were returned.")
    return await _act(request, order_id, action)


@get("/h5/mall/orders/{order_id:int}/receive", guards=H5)
async def receive_confirm(request: Request, order_id: int) -> Response:
    order = await _own(request, order_id)
    return await h5_confirm(request, _("Confirm receipt"), _("Did you receive order %(no)s?", no=order["no"]),
                            f"/h5/mall/orders/{order_id}/receive", f"/h5/mall/orders/{order_id}")


@post("/h5/mall/orders/{order_id:int}/receive", guards=H5)
async def receive(request: Request, order_id: int) -> Response:
    async def action():
        who = actor(request)
        await orders.confirm_receipt(order_id, who, buyer_id=who.id)
        return _("Receipt confirmed. Please review your items.")
    return await _act(request, order_id, action)


async def _review_page(request: Request, order: dict, item_id: int, values: dict, errors: dict,
                       status: int = 200) -> Response:
    item = next((i for i in order["items"] if i["id"] == item_id), None)
    if item is None:
        raise NotFoundException()
    return await render(request, "mall/h5/review.html", o=order, item=item, values=values, errors=errors,
                        status=status, share_title=_("Review"))


@get("/h5/mall/orders/{order_id:int}/items/{item_id:int}/review", guards=H5)
async def review_form(request: Request, order_id: int, item_id: int) -> Response:
    return await _review_page(request, await _own(request, order_id), item_id, {"stars": "5", "text": ""}, {})


@post("/h5/mall/orders/{order_id:int}/items/{item_id:int}/review", guards=H5)
async def review_submit(request: Request, order_id: int, item_id: int) -> Response:
    order = await _own(request, order_id)
    form = await request.form()
    values = {"stars": form.get("stars") or "", "text": (form.get("text") or "")[:2000]}
    try:
        photos = []
        for upload in [v for k, v in form.multi_items() if k == "photos"][:9]:
            if getattr(upload, "filename", ""):
                photos.append(await products.store_image(upload.filename, await upload.read(), field="photos"))
        await orders.submit_review(actor(request).id, order_id, item_id, int_param(values["stars"]) or 0,
                                   values["text"], photos, actor(request))
    except Invalid as exc:
        return await _review_page(request, order, item_id, values, {exc.field: exc.message}, status=422)
    except Conflict as exc:
        return redirect(request, f"/h5/mall/orders/{order_id}", str(exc), "error")
    return redirect(request, f"/h5/mall/orders/{order_id}", _("Thank you! Your review will appear after moderation."))


ROUTES = [order_list, order_detail, cancel_confirm, cancel, receive_confirm, receive, review_form, review_submit]

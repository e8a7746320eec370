"""Review moderation pages (MALL-09): tabs by status, approve/reject one or many, reply."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render, safe_next
from app.mall import reviews

GUARD = [requires("mall.review.moderate")]
BASE = "/admin/mall/reviews"


@get(BASE, guards=GUARD)
async def review_list(request: Request) -> Response:
    params = request.query_params
    status = params.get("status") if params.get("status") in reviews.STATUSES else "pending"
    stars = params.get("stars") or ""
    page = await reviews.list_reviews(status, params.get("q") or "", int(stars) if stars.isdigit() else None,
                                      PageRequest.from_query(params))
    return await render(request, "mall/admin/reviews.html", page=page, current=status, statuses=reviews.STATUSES,
                        counts=await reviews.counts(), block="results")


def _ids(data: dict) -> list[int]:
    ids = data.get("ids") or []
    return [int(i) for i in (ids if isinstance(ids, list) else [ids]) if str(i).isdigit()]


@post(f"{BASE}/moderate", guards=GUARD)
async def review_moderate(request: Request) -> Response:
    """Approve or reject: from a row's buttons (one id + optional reply) or the bulk selection."""
    data = await form_data(request)
    status = request.query_params.get("to") or data.get("to") or ""
    back = safe_next(request.query_params.get("next") or data.get("next"), BASE)
    try:
        count = await reviews.moderate(actor(request), _ids(data), status, data.get("reply"))
    except Invalid as exc:
        return redirect(request, back, exc.message, "error")
    message = _("%(n)s reviews approved.", n=count) if status == "approved" else _("%(n)s reviews rejected.", n=count)
    return redirect(request, back, message)


@post(f"{BASE}/{{review_id:int}}/reply", guards=GUARD)
async def review_reply(request: Request, review_id: int) -> Response:
    data = await form_data(request)
    back = safe_next(data.get("next"), BASE)
    try:
        await reviews.save_reply(actor(request), review_id, data.get("reply") or "")
    except reviews.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return redirect(request, back, exc.message, "error")
    return redirect(request, back, _("Reply saved."))


ROUTES = [review_list, review_moderate, review_reply]

"""Manual review of identity claims on the desktop (IDV-03): the queue (status, college, type, name; paged,
data-scoped by the claimed college), the claim with its evidence and candidate records, approve / reject.
The evidence files are served here, behind the same permission and scope checks (the phone pages link here)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, int_param, redirect, render
from app.identity import claims, reviews

GUARD = [requires("idn.review")]
BASE = "/admin/identity/reviews"
LABELS = {"kinds": claims.KINDS, "statuses": claims.STATUSES, "methods": claims.METHODS}


@get(BASE, guards=GUARD)
async def review_list(request: Request) -> Response:
    who = actor(request)
    filters = reviews.ReviewFilters.from_query(request.query_params)
    page = await reviews.list_claims(who, filters, PageRequest.from_query(request.query_params))
    return await render(request, "identity/admin/review_list.html", page=page, filters=filters,
                        counts=await reviews.counts(who, filters), colleges=await reviews.college_choices(who),
                        block="results", **LABELS)


async def _detail(request: Request, claim_id: int, errors: dict | None = None, values: dict | None = None,
                  status: int = 200) -> Response:
    who = actor(request)
    try:
        claim = await reviews.get_claim(who, claim_id)
    except reviews.NotFound:
        raise NotFoundException() from None
    return await render(request, "identity/admin/review_detail.html", claim=claim,
                        candidates=await reviews.candidates(who, claim_id), errors=errors or {},
                        values=values or {}, status=status, **LABELS)


@get(f"{BASE}/{{claim_id:int}}", guards=GUARD)
async def review_detail(request: Request, claim_id: int) -> Response:
    return await _detail(request, claim_id)


@post(f"{BASE}/{{claim_id:int}}/approve", guards=GUARD)
async def approve(request: Request, claim_id: int) -> Response:
    data = await form_data(request)
    try:
        await reviews.approve(actor(request), claim_id, int_param(data.get("person")))
    except reviews.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _detail(request, claim_id, {exc.field or "person": exc.message}, status=422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{claim_id}", str(exc), "error")
    return redirect(request, BASE, _("Claim approved: the record is linked to the account."))


@post(f"{BASE}/{{claim_id:int}}/reject", guards=GUARD)
async def reject(request: Request, claim_id: int) -> Response:
    data = await form_data(request)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    try:
        await reviews.reject(actor(request), claim_id, reason)
    except reviews.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _detail(request, claim_id, {exc.field: exc.message}, {"reason": reason}, status=422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{claim_id}", str(exc), "error")
    return redirect(request, BASE, _("Claim rejected. The applicant is told the reason."))


@get(f"{BASE}/{{claim_id:int}}/evidence/{{index:int}}", guards=GUARD)
async def evidence(request: Request, claim_id: int, index: int) -> Response:
    try:
        content, content_type, _name = await reviews.evidence(actor(request), claim_id, index)
    except reviews.NotFound:
        raise NotFoundException() from None
    return Response(content, media_type=content_type, headers={"Cache-Control": "private, no-store",
                                                               "Content-Disposition": "inline"})


ROUTES = [review_list, review_detail, approve, reject, evidence]

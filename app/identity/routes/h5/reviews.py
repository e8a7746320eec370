"""Manual review of identity claims on a phone (IDV-04): the same list, detail and decisions as the desktop
pages in the H5 shell, with big touch targets and a confirm page before each decision (no JavaScript needed).
Permission idn.review; a claim outside the reviewer's colleges is 403."""
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
BASE = "/h5/identity/reviews"


def _ctx(request: Request, title: str) -> dict:
    return {"share_title": title, "kinds": claims.KINDS, "statuses": claims.STATUSES, "methods": claims.METHODS}


async def _claim(request: Request, claim_id: int) -> dict:
    try:
        return await reviews.get_claim(actor(request), claim_id)
    except reviews.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def review_list(request: Request) -> Response:
    who = actor(request)
    filters = reviews.ReviewFilters.from_query(request.query_params)
    page = await reviews.list_claims(who, filters, PageRequest.from_query(request.query_params))
    return await render(request, "identity/h5/review_list.html", page=page, filters=filters,
                        counts=await reviews.counts(who, filters), **_ctx(request, _("Identity reviews")))


@get(f"{BASE}/{{claim_id:int}}", guards=GUARD)
async def review_detail(request: Request, claim_id: int) -> Response:
    claim = await _claim(request, claim_id)
    return await render(request, "identity/h5/review_detail.html", claim=claim,
                        candidates=await reviews.candidates(actor(request), claim_id),
                        **_ctx(request, _("Identity claim")))


async def _confirm(request: Request, claim: dict, decision: str, person: dict | None = None,
                   error: str = "", reason: str = "", status: int = 200) -> Response:
    return await render(request, "identity/h5/review_confirm.html", claim=claim, decision=decision, person=person,
                        error=error, reason=reason, status=status,
                        **_ctx(request, _("Approve the claim") if decision == "approve" else _("Reject the claim")))


@get(f"{BASE}/{{claim_id:int}}/approve", guards=GUARD)
async def approve_confirm(request: Request, claim_id: int) -> Response:
    claim = await _claim(request, claim_id)
    person_id = int_param(request.query_params.get("person"))
    person = next((c for c in await reviews.candidates(actor(request), claim_id) if c["id"] == person_id), None)
    if person is None:
        return redirect(request, f"{BASE}/{claim_id}", _("Choose the record this person is."), "error")
    return await _confirm(request, claim, "approve", person)


@post(f"{BASE}/{{claim_id:int}}/approve", guards=GUARD)
async def approve(request: Request, claim_id: int) -> Response:
    await _claim(request, claim_id)
    data = await form_data(request)
    try:
        await reviews.approve(actor(request), claim_id, int_param(data.get("person")))
    except reviews.NotFound:
        raise NotFoundException() from None
    except (Invalid, Conflict) as exc:
        return redirect(request, f"{BASE}/{claim_id}", getattr(exc, "message", str(exc)), "error")
    return redirect(request, BASE, _("Claim approved: the record is linked to the account."))


@get(f"{BASE}/{{claim_id:int}}/reject", guards=GUARD)
async def reject_confirm(request: Request, claim_id: int) -> Response:
    return await _confirm(request, await _claim(request, claim_id), "reject")


@post(f"{BASE}/{{claim_id:int}}/reject", guards=GUARD)
async def reject(request: Request, claim_id: int) -> Response:
    claim = await _claim(request, claim_id)
    data = await form_data(request)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    try:
        await reviews.reject(actor(request), claim_id, reason)
    except Invalid as exc:
        return await _confirm(request, claim, "reject", error=exc.message, reason=reason, status=422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{claim_id}", str(exc), "error")
    return redirect(request, BASE, _("Claim rejected. The applicant is told the reason."))


ROUTES = [review_list, review_detail, approve_confirm, approve, reject_confirm, reject]

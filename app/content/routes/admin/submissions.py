"""Articles chapters submitted to HQ (ORG-05 投稿): the list by status, accept (a copy is published on the HQ
site) or decline with a reason after a confirmation page. Permission content.hq.publish."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.content import submissions
from app.content.hq import HQ, PUBLISH
from app.content.routes import http_errors
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render

BASE = "/admin/content/hq/submissions"
GUARD = [requires(PUBLISH)]


@get(BASE, guards=GUARD)
async def submission_list(request: Request) -> Response:
    params = request.query_params
    status = params.get("status") if params.get("status") in submissions.STATUSES else "pending"
    page = await submissions.list_submissions(HQ, status=status, req=PageRequest.from_query(params))
    return await render(request, "content/admin/submissions.html", page=page, current=status, block="results")


@post(f"{BASE}/{{submission_id:int}}/accept", guards=GUARD)
async def submission_accept(request: Request, submission_id: int) -> Response:
    try:
        with http_errors():
            copy_id = await submissions.accept_submission(actor(request), submission_id)
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, f"/admin/content/hq/{copy_id}", _("Accepted: the article is published on the HQ site."))


async def _decline_page(request: Request, submission_id: int, reason: str = "", error: str = "",
                        status: int = 200) -> Response:
    with http_errors():
        item = await submissions.get_submission(submission_id)
    return await render(request, "content/admin/decline.html", item=item, reason=reason, error=error, status=status)


@get(f"{BASE}/{{submission_id:int}}/decline", guards=GUARD)
async def submission_decline_confirm(request: Request, submission_id: int) -> Response:
    return await _decline_page(request, submission_id)


@post(f"{BASE}/{{submission_id:int}}/decline", guards=GUARD)
async def submission_decline(request: Request, submission_id: int) -> Response:
    data = await form_data(request)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    try:
        with http_errors():
            await submissions.decline_submission(actor(request), submission_id, reason)
    except Invalid as exc:
        return await _decline_page(request, submission_id, reason, exc.message, 422)
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Declined. The submitter is told the reason."))


ROUTES = [submission_list, submission_accept, submission_decline_confirm, submission_decline]

"""Applications for a class the records lack (CLS-01): the college admins' list (their colleges only), one
application, approve (the class is created) or reject with a reason the applicant sees."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.classes import applications, classes
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render

GUARD = [requires("classes.manage")]
BASE = "/admin/classes/applications"


@get(BASE, guards=GUARD)
async def application_list(request: Request) -> Response:
    status = request.query_params.get("status") or "pending"
    page = await applications.list_for(actor(request), status, PageRequest.from_query(request.query_params))
    return await render(request, "classes/admin/applications.html", page=page, current=status,
                        statuses=applications.STATUSES, block="results")


async def _page(request: Request, app_id: int, error: str = "", reason: str = "", status: int = 200) -> Response:
    try:
        row = await applications.get(actor(request), app_id)
    except classes.NotFound:
        raise NotFoundException() from None
    return await render(request, "classes/admin/application.html", a=row, statuses=applications.STATUSES,
                        error=error, reason=reason, status=status)


@get(f"{BASE}/{{app_id:int}}", guards=GUARD)
async def application_detail(request: Request, app_id: int) -> Response:
    return await _page(request, app_id)


@post(f"{BASE}/{{app_id:int}}/approve", guards=GUARD)
async def application_approve(request: Request, app_id: int) -> Response:
    try:
        class_id = await applications.approve(actor(request), app_id)
    except classes.NotFound:
        raise NotFoundException() from None
    except Conflict as exc:
        return redirect(request, f"{BASE}/{app_id}", str(exc), "error")
    return redirect(request, f"/admin/classes/{class_id}", _("Application approved: the class is open."))


@post(f"{BASE}/{{app_id:int}}/reject", guards=GUARD)
async def application_reject(request: Request, app_id: int) -> Response:
    reason = (await form_data(request)).get("reason") or ""
    try:
        await applications.reject(actor(request), app_id, reason)
    except classes.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _page(request, app_id, exc.message, reason, status=422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{app_id}", str(exc), "error")
    return redirect(request, BASE, _("Application rejected. The applicant was told why."))


ROUTES = [application_list, application_detail, application_approve, application_reject]

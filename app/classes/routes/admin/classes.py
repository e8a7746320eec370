"""Desktop admin pages of the class spaces (CLS-01/02/03): the list (search by college, entry year, name;
paging; limited to the admin's data scope), "Run generation now", a class's page with its liaisons, members,
pending requests, moderation settings and cohesion breakdown."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.classes import admin_page, classes, cohesion, generation, liaisons, roster, space
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render

VIEW = [requires("classes.view")]
MANAGE = [requires("classes.manage")]
BASE = "/admin/classes"


@get(BASE, guards=VIEW)
async def class_list(request: Request) -> Response:
    who = actor(request)
    filters = classes.ClassFilters.from_query(request.query_params)
    page = await classes.list_classes(who, filters, PageRequest.from_query(request.query_params))
    return await render(request, "classes/admin/list.html", page=page, filters=filters,
                        colleges=await classes.college_choices(who), statuses=classes.STATUSES,
                        sources=classes.SOURCES, last_run=await generation.last_run(), block="results")


@post(f"{BASE}/generate", guards=[requires("classes.generate")])
async def generate_now(request: Request) -> Response:
    job_id = await generation.start(actor(request))
    target = f"/admin/jobs/{job_id}" if request.scope["user"].can("sup.job.view") else BASE
    return redirect(request, target, _("Class generation started."))


async def _detail(request: Request, class_id: int) -> dict:
    try:
        return await admin_page.admin_detail(actor(request), class_id)
    except classes.NotFound:
        raise NotFoundException() from None


@get(f"{BASE}/{{class_id:int}}", guards=VIEW)
async def class_detail(request: Request, class_id: int) -> Response:
    page = await _detail(request, class_id)
    return await render(request, "classes/admin/detail.html", **page, statuses=classes.STATUSES,
                        sources=classes.SOURCES, member_sources=roster.SOURCES, kinds=roster.REQUEST_KINDS,
                        setting_kinds=space.MODERATED_KINDS, factors=cohesion.FACTORS)


@post(f"{BASE}/{{class_id:int}}/liaisons", guards=MANAGE)
async def liaison_add(request: Request, class_id: int) -> Response:
    username = (await form_data(request)).get("username") or ""
    try:
        await liaisons.appoint(actor(request), class_id, username)
    except classes.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return redirect(request, f"{BASE}/{class_id}", exc.message, "error")
    return redirect(request, f"{BASE}/{class_id}", _("Liaison appointed."))


@post(f"{BASE}/{{class_id:int}}/liaisons/{{user_id:int}}/remove", guards=MANAGE)
async def liaison_remove(request: Request, class_id: int, user_id: int) -> Response:
    try:
        await liaisons.remove(actor(request), class_id, user_id)
    except classes.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{BASE}/{class_id}", _("Liaison removed."))


@post(f"{BASE}/{{class_id:int}}/moderation", guards=MANAGE)
async def moderation_save(request: Request, class_id: int) -> Response:
    data = await form_data(request)
    try:
        await space.save_moderation(actor(request), class_id, {k: data.get(k) == "on" for k in space.MODERATED_KINDS})
    except classes.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{BASE}/{class_id}", _("Moderation settings saved."))


@post(f"{BASE}/requests/{{request_id:int}}/decide", guards=MANAGE)
async def request_decide(request: Request, request_id: int) -> Response:
    data = await form_data(request)
    try:
        row = await roster.get_request(request_id)
        await roster.decide(actor(request), request_id, data.get("verdict") == "approve", data.get("reason") or "")
    except classes.NotFound:
        raise NotFoundException() from None
    except (Invalid, Conflict) as exc:
        return redirect(request, f"{BASE}/{row['class_id']}", getattr(exc, "message", None) or str(exc), "error")
    return redirect(request, f"{BASE}/{row['class_id']}",
                    _("Request approved.") if data.get("verdict") == "approve" else _("Request rejected."))


ROUTES = [class_list, generate_now, class_detail, liaison_add, liaison_remove, moderation_save, request_decide]

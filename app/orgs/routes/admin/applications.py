"""Applications to found an association, decided by HQ (ORG-01): the queue by status, one application with the
approval form (name, address, kind, parent and node may be corrected; appoint the applicant as its admin) and the
rejection with a reason the applicant is shown."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.web import actor, form_data, redirect, render
from app.orgs import applications, orgs
from app.orgs.routes.admin import BASE, HQ_GUARD, hq_fields, node_choices

APPS = f"{BASE}/applications"


def approval_fields(parents, nodes) -> list[Field]:
    fields = [f for f in hq_fields(parents, nodes, True) if f.name not in ("status", "sort")]
    return fields + [Field("appoint", L("Appoint the applicant as the association's admin"), "checkbox")]


async def _application(application_id: int) -> dict:
    try:
        return await applications.get(application_id)
    except orgs.NotFound:
        raise NotFoundException() from None


@get(APPS, guards=HQ_GUARD)
async def application_list(request: Request) -> Response:
    status = request.query_params.get("status") or "pending"
    page = await applications.list_applications(actor(request), status, PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/applications.html", page=page, current=status,
                        statuses=applications.STATUSES, counts=await applications.counts(), kinds=orgs.KINDS,
                        block="results")


async def _detail(request: Request, application_id: int, data: dict | None = None, errors: dict | None = None,
                  reject_error: str = "", reason: str = "", status: int = 200) -> Response:
    row = await _application(application_id)
    form = Form(approval_fields(await orgs.choices(actor(request)), await node_choices(request)),
                data=data if data is not None else {"name": row["name"], "slug": row["slug"], "kind": row["kind"],
                                                    "parent": row["parent"] or "", "appoint": "on"},
                errors=errors or {})
    return await render(request, "orgs/admin/application.html", application=row, form=form, status=status,
                        reject_error=reject_error, reason=reason, statuses=applications.STATUSES, kinds=orgs.KINDS)


@get(f"{APPS}/{{application_id:int}}", guards=HQ_GUARD)
async def application_detail(request: Request, application_id: int) -> Response:
    return await _detail(request, application_id)


@post(f"{APPS}/{{application_id:int}}/approve", guards=HQ_GUARD)
async def application_approve(request: Request, application_id: int) -> Response:
    await _application(application_id)
    data = await form_data(request)
    who = actor(request)
    form = Form(approval_fields(await orgs.choices(who), await node_choices(request)), data=data)
    if not form.validate():
        return await _detail(request, application_id, data, form.errors, status=422)
    values = {k: v for k, v in form.cleaned.items() if k != "appoint"}
    try:
        org_id = await applications.approve(who, application_id, values, appoint=form.cleaned["appoint"])
    except Invalid as exc:
        return await _detail(request, application_id, data, {exc.field or "__all__": exc.message}, status=422)
    except Conflict as exc:
        return redirect(request, f"{APPS}/{application_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{org_id}", _("Application approved: the association is created."))


@post(f"{APPS}/{{application_id:int}}/reject", guards=HQ_GUARD)
async def application_reject(request: Request, application_id: int) -> Response:
    await _application(application_id)
    data = await form_data(request)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    try:
        await applications.reject(actor(request), application_id, reason)
    except Invalid as exc:
        return await _detail(request, application_id, reject_error=exc.message, reason=reason, status=422)
    except Conflict as exc:
        return redirect(request, f"{APPS}/{application_id}", str(exc), "error")
    return redirect(request, APPS, _("Application rejected. The applicant is told the reason."))


ROUTES = [application_list, application_detail, application_approve, application_reject]

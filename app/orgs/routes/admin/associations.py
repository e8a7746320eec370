"""The associations on the desktop (ORG-01, ORG-02): the tree and the list (search, kind, status, paging), a new
org (HQ), and an org's profile tab: contacts, rich description, logo, join rules; HQ also edits name, address,
kind, parent, status and the org-tree node that gives the data scope."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.web import actor, form_data, redirect, render
from app.orgs import orgs
from app.orgs.routes.admin import (
    BASE,
    GUARD,
    HQ_GUARD,
    hq_fields,
    managed_org,
    node_choices,
    org_ctx,
    profile_fields,
)


@get(BASE, guards=GUARD)
async def org_list(request: Request) -> Response:
    who = actor(request)
    filters = orgs.OrgFilters.from_query(request.query_params)
    page = await orgs.list_orgs(who, filters, PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/orgs.html", page=page, filters=filters, nodes=await orgs.tree(who),
                        kinds=orgs.KINDS, statuses=orgs.STATUSES, rules=orgs.JOIN_RULES, block="results")


async def _new_form(request: Request, data: dict, errors: dict | None = None, status: int = 200) -> Response:
    fields = hq_fields(await orgs.choices(actor(request)), await node_choices(request), True) + profile_fields()
    form = Form(fields, data=data, errors=errors or {})
    return await render(request, "orgs/admin/org_new.html", form=form, status=status)


@get(f"{BASE}/new", guards=HQ_GUARD)
async def org_new(request: Request) -> Response:
    return await _new_form(request, {"kind": "local", "status": "active", "join_rule": "approval",
                                     "join_requirement": "any", "event_approval": "on", "sort": "0",
                                     "parent": request.query_params.get("parent", "")})


@post(BASE, guards=HQ_GUARD)
async def org_create(request: Request) -> Response:
    data = await form_data(request)
    form = Form(hq_fields(await orgs.choices(actor(request)), await node_choices(request), True) + profile_fields(),
                data=data)
    if not form.validate():
        return await _new_form(request, data, form.errors, 422)
    try:
        org_id = await orgs.create(actor(request), form.cleaned)
    except Invalid as exc:
        return await _new_form(request, data, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/{org_id}", _("Association created."))


def _form_data(org: dict) -> dict:
    data = {k: ("" if org.get(k) is None else org[k]) for k in (*orgs.PROFILE_FIELDS, *orgs.HQ_FIELDS)}
    data["event_approval"] = "on" if org["event_approval"] else ""
    data["founded"] = org["founded"].isoformat() if org["founded"] else ""
    return data


async def _profile(request: Request, org: dict, data: dict | None = None, errors: dict | None = None,
                   logo_error: str = "", status: int = 200) -> Response:
    ctx = org_ctx(org, request, "profile")
    fields = profile_fields()
    if ctx["can_administer"]:
        fields = hq_fields(await orgs.choices(actor(request), exclude=org["id"]), await node_choices(request),
                           False) + fields
    form = Form(fields, data=data if data is not None else _form_data(org), errors=errors or {})
    logo_form = Form([Field("logo", L("Logo"), "file", required=True,
                            help=L("A PNG, JPEG or GIF image; shown on the micro-site and its share card."))])
    if logo_error:
        logo_form.add_error("logo", logo_error)
    return await render(request, "orgs/admin/org_profile.html", form=form, logo_form=logo_form, status=status,
                        rules=orgs.JOIN_RULES, requirements=orgs.REQUIREMENTS, **ctx)


@get(f"{BASE}/{{org_id:int}}", guards=GUARD)
async def org_detail(request: Request, org_id: int) -> Response:
    return await _profile(request, await managed_org(request, org_id))


@post(f"{BASE}/{{org_id:int}}", guards=GUARD)
async def org_update(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    data = await form_data(request)
    fields = profile_fields()
    if orgs.may_administer(actor(request), org):
        fields = hq_fields(await orgs.choices(actor(request), exclude=org_id), await node_choices(request),
                           False) + fields
    form = Form(fields, data=data)
    if not form.validate():
        return await _profile(request, org, data, form.errors, status=422)
    try:
        await orgs.update(actor(request), org_id, form.cleaned)
    except Invalid as exc:
        return await _profile(request, org, data, {exc.field or "__all__": exc.message}, status=422)
    return redirect(request, f"{BASE}/{org_id}", _("Association saved."))


@post(f"{BASE}/{{org_id:int}}/logo", guards=GUARD)
async def org_logo_upload(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    upload = (await form_data(request)).get("logo")
    if not getattr(upload, "filename", None):
        return await _profile(request, org, logo_error=_("Choose a file."), status=422)
    try:
        await orgs.set_logo(actor(request), org_id, upload.filename, await upload.read())
    except Invalid as exc:
        return await _profile(request, org, logo_error=exc.message, status=422)
    return redirect(request, f"{BASE}/{org_id}", _("Logo saved."))


@get(f"{BASE}/{{org_id:int}}/logo", guards=GUARD)
async def org_logo(request: Request, org_id: int) -> Response:
    found = orgs.logo_bytes(await managed_org(request, org_id))
    if found is None:
        raise NotFoundException()
    return Response(found[0], media_type=found[1], headers={"Cache-Control": "private, max-age=300"})


ROUTES = [org_list, org_new, org_create, org_detail, org_update, org_logo_upload, org_logo]

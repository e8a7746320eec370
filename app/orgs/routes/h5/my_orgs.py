"""The alumni's "my associations" (/h5/orgs): the orgs I belong to, my join requests and applications, finding an
association (search, kind, paging) and applying to found a new one (→ a todo for HQ)."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.web import actor, form_data, redirect, render
from app.orgs import applications, members, orgs
from app.orgs.routes.h5 import H5

BASE = "/h5/orgs"


def apply_fields(parents: list[tuple[str, str]]) -> list[Field]:
    return [Field("name", L("Name of the association"), required=True, max_length=100,
                  placeholder=L("e.g. 杭州校友会")),
            Field("slug", L("Micro-site address"), required=True, max_length=40, placeholder=L("e.g. hz"),
                  help=L("Lower-case letters, digits and hyphens: the site will be at /o/<address>.")),
            Field("kind", L("Kind"), "select", required=True, choices=list(orgs.KINDS.items())),
            Field("parent", L("Parent association"), "select", choices=parents, help=L("Empty = under HQ.")),
            Field("region", L("Region"), max_length=100),
            Field("phone", L("Your contact phone"), "phone", max_length=32),
            Field("reason", L("What is it for, and who is in it?"), "textarea", required=True, max_length=2000)]


@get(BASE, guards=H5)
async def my_orgs(request: Request) -> Response:
    who = actor(request)
    q = (request.query_params.get("q") or "").strip()[:50]
    kind = request.query_params.get("kind") or ""
    page = await orgs.browse(q, kind, PageRequest.from_query(request.query_params))
    return await render(request, "orgs/h5/my_orgs.html", mine=await members.my_orgs(who.id), page=page, q=q,
                        kind=kind, kinds=orgs.KINDS, rules=orgs.JOIN_RULES, requests=await members.my_requests(who.id),
                        applications=await applications.mine(who.id), request_statuses=members.REQUEST_STATUSES,
                        application_statuses=applications.STATUSES, roles=members.ROLES,
                        share_title=_("Alumni associations"))


async def _apply_form(request: Request, data: dict, errors: dict | None = None, status: int = 200) -> Response:
    form = Form(apply_fields(await orgs.public_choices()), data=data, errors=errors or {})
    return await render(request, "orgs/h5/apply.html", form=form, status=status,
                        share_title=_("Found an association"))


@get(f"{BASE}/apply", guards=H5)
async def apply_form(request: Request) -> Response:
    return await _apply_form(request, {"kind": "local"})


@post(f"{BASE}/apply", guards=H5)
async def apply(request: Request) -> Response:
    data = await form_data(request)
    form = Form(apply_fields(await orgs.public_choices()), data=data)
    if not form.validate():
        return await _apply_form(request, data, form.errors, 422)
    try:
        await applications.apply(actor(request), form.cleaned)
    except Invalid as exc:
        return await _apply_form(request, data, {exc.field or "__all__": exc.message}, 422)
    except Conflict as exc:
        return await _apply_form(request, data, {"__all__": str(exc)}, 422)
    return redirect(request, BASE, _("Application sent. HQ will review it and tell you the result."))


ROUTES = [my_orgs, apply_form, apply]

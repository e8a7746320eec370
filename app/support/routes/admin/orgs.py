"""Org tree admin (SUP-01)."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.dictionary import choices as dict_choices
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.support import forms
from app.support import org_tree as org_service  # `org_tree` is the page handler below


async def _page(request: Request, form=None, node=None, status=200) -> Response:
    user = request.scope["user"]
    kinds = await dict_choices("org_kind")
    selected = node["id"] if node else None
    form = form or forms.org_form({"enabled": "on", "parent": selected or ""}, kinds)
    return await render(request, "support/admin/orgs.html", status=status, tree=await org_service.tree(user.scope),
                        flat=await org_service.flat(user.scope), form=form, node=node, kinds=dict(kinds))


@get("/admin/orgs", guards=[requires("sup.org.view")])
async def org_tree(request: Request) -> Response:
    node_id = request.query_params.get("node")
    node = await org_service.get(int(node_id), request.scope["user"].scope) if (node_id or "").isdigit() else None
    if node:
        form = forms.org_form({**node, "enabled": "on" if node["enabled"] else "", "parent": node["parent"] or ""},
                              await dict_choices("org_kind"))
        return await _page(request, form, node)
    return await _page(request)


@post("/admin/orgs", guards=[requires("sup.org.create")])
async def org_create(request: Request) -> Response:
    form = forms.org_form(await form_data(request), await dict_choices("org_kind"))
    if form.validate():
        c = form.cleaned
        try:
            node_id = await org_service.create(actor(request), name=c["name"], parent_id=c["parent"], kind=c["kind"],
                                               code=c["code"], sort=c["sort"] or 0)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/admin/orgs?node={node_id}", _("Org node created."))
    return await _page(request, form, status=422)


@post("/admin/orgs/{node_id:int}", guards=[requires("sup.org.edit")])
async def org_update(request: Request, node_id: int) -> Response:
    user = request.scope["user"]
    node = await org_service.get(node_id, user.scope)
    form = forms.org_form(await form_data(request), await dict_choices("org_kind"))
    if form.validate():
        c = form.cleaned
        try:
            await org_service.update(actor(request), node_id, name=c["name"], kind=c["kind"], code=c["code"],
                                     sort=c["sort"] or 0, enabled=c["enabled"])
            if c["parent"] and c["parent"] != node["parent"]:
                await org_service.move(actor(request), node_id, c["parent"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/admin/orgs?node={node_id}", _("Org node saved."))
    return await _page(request, form, node, status=422)


@get("/admin/orgs/{node_id:int}/delete", guards=[requires("sup.org.edit")])
async def org_delete_confirm(request: Request, node_id: int) -> Response:
    node = await org_service.get(node_id, request.scope["user"].scope)
    return await confirm_page(request, title=_("Delete org node"),
                              message=_("Delete %(name)s? This cannot be undone.", name=node["name"]),
                              action=f"/admin/orgs/{node_id}/delete", cancel=f"/admin/orgs?node={node_id}")


@post("/admin/orgs/{node_id:int}/delete", guards=[requires("sup.org.edit")])
async def org_delete(request: Request, node_id: int) -> Response:
    try:
        await org_service.delete(actor(request), node_id)
    except Conflict as exc:
        return redirect(request, f"/admin/orgs?node={node_id}", str(exc), "error")
    return redirect(request, "/admin/orgs", _("Org node deleted."))


ROUTES = [org_tree, org_create, org_update, org_delete_confirm, org_delete]

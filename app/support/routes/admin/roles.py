"""Roles admin (SUP-03): permissions grouped by module and kind (menu/page/button), data scope."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import REGISTRY, SCOPES, groups, requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.support import forms, org_tree, roles


@get("/admin/roles", guards=[requires("sup.role.view")])
async def role_list(request: Request) -> Response:
    return await render(request, "support/admin/roles.html", roles=await roles.list_roles(), scopes=SCOPES)


async def _form_page(request: Request, form, role=None, status=200) -> Response:
    user = request.scope["user"]
    return await render(request, "support/admin/role_form.html", form=form, role=role, groups=groups(), status=status,
                        orgs=await org_tree.flat(user.scope), scopes=SCOPES,
                        can_edit=user.can("sup.role.edit"))


@get("/admin/roles/new", guards=[requires("sup.role.edit")])
async def role_new(request: Request) -> Response:
    return await _form_page(request, forms.role_form({"data_scope": "subtree"}, REGISTRY))


@get("/admin/roles/{role_id:int}", guards=[requires("sup.role.view")])
async def role_detail(request: Request, role_id: int) -> Response:
    role = await roles.get_role(role_id)
    return await _form_page(request, forms.role_form({**role, "scope_org": role["scope_org"] or ""}, REGISTRY), role)


async def _save(request: Request, role_id: int | None) -> Response:
    role = await roles.get_role(role_id) if role_id else None
    form = forms.role_form(await form_data(request), REGISTRY)
    if form.validate():
        c = form.cleaned
        try:
            new_id = await roles.save_role(actor(request), role_id, code=c["code"], name=c["name"],
                                           description=c["description"] or "", permissions=c["permissions"],
                                           data_scope=c["data_scope"], scope_org=c["scope_org"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/admin/roles/{new_id}", _("Role saved."))
    return await _form_page(request, form, role, status=422)


@post("/admin/roles", guards=[requires("sup.role.edit")])
async def role_create(request: Request) -> Response:
    return await _save(request, None)


@post("/admin/roles/{role_id:int}", guards=[requires("sup.role.edit")])
async def role_update(request: Request, role_id: int) -> Response:
    return await _save(request, role_id)


@get("/admin/roles/{role_id:int}/delete", guards=[requires("sup.role.edit")])
async def role_delete_confirm(request: Request, role_id: int) -> Response:
    role = await roles.get_role(role_id)
    return await confirm_page(request, title=_("Delete role"),
                              message=_("Delete %(name)s? This cannot be undone.", name=role["name"]),
                              action=f"/admin/roles/{role_id}/delete", cancel=f"/admin/roles/{role_id}")


@post("/admin/roles/{role_id:int}/delete", guards=[requires("sup.role.edit")])
async def role_delete(request: Request, role_id: int) -> Response:
    try:
        await roles.delete_role(actor(request), role_id)
    except Conflict as exc:
        return redirect(request, f"/admin/roles/{role_id}", str(exc), "error")
    return redirect(request, "/admin/roles", _("Role deleted."))


ROUTES = [role_list, role_new, role_detail, role_create, role_update, role_delete_confirm, role_delete]

"""Users admin (SUP-02/03/16): list with search and paging, create, edit with roles, audited unmask."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.masking import shown
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.support import forms, org_tree, roles, users


@get("/admin/users", guards=[requires("sup.user.view")])
async def user_list(request: Request) -> Response:
    user = request.scope["user"]
    filters = users.UserFilters.from_query(request.query_params)
    page = await users.list_users(actor(request), filters, PageRequest.from_query(request.query_params))
    for row in page.items:
        for field in ("name", "phone", "email"):
            row[field] = shown(user, field, row[field])
    return await render(request, "support/admin/users.html", page=page, filters=filters, block="results",
                        roles=await roles.choices(),
                        org_options=[(o["id"], "\u3000" * o["level"] + o["name"])
                                     for o in await org_tree.flat(user.scope)])


async def _form_page(request: Request, form, user_row=None, status=200) -> Response:
    user = request.scope["user"]
    return await render(request, "support/admin/user_form.html", form=form, target=user_row, status=status,
                        orgs=await org_tree.flat(user.scope))


@get("/admin/users/new", guards=[requires("sup.user.create")])
async def user_new(request: Request) -> Response:
    return await _form_page(request, forms.user_form({"is_active": "on", "kind": "registered"},
                                                     await roles.choices()))


@post("/admin/users", guards=[requires("sup.user.create")])
async def user_create(request: Request) -> Response:
    form = forms.user_form(await form_data(request), await roles.choices())
    if form.validate():
        c = form.cleaned
        try:
            user_id = await users.create_user(
                actor(request), username=c["username"], name=c["name"], email=c["email"], phone=c["phone"],
                org_id=c["org"], kind=c["kind"], password=c["password"], role_ids=[int(r) for r in c["roles"]],
                is_active=c["is_active"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/admin/users/{user_id}", _("User created."))
    return await _form_page(request, form, status=422)


@get("/admin/users/{user_id:int}", guards=[requires("sup.user.view")])
async def user_detail(request: Request, user_id: int) -> Response:
    row = await users.get_user(actor(request), user_id)
    viewer = request.scope["user"]
    data = {**row, "org": row["org"] or "", "is_active": "on" if row["is_active"] else "",
            "roles": [str(r) for r in row["role_ids"]]}
    masked = {f: shown(viewer, f, row.get(f)) for f in ("name", "phone", "email")}
    data.update(masked)  # the edit form never carries a clear value the viewer may not see
    form = forms.user_form(data, await roles.choices(), creating=False)
    return await render(request, "support/admin/user_form.html", form=form, target=row, masked=masked,
                        can_edit=viewer.can("sup.user.edit"), orgs=await org_tree.flat(viewer.scope))


@post("/admin/users/{user_id:int}", guards=[requires("sup.user.edit")])
async def user_update(request: Request, user_id: int) -> Response:
    row = await users.get_user(actor(request), user_id)
    form = forms.user_form(await form_data(request), await roles.choices(), creating=False)
    if form.validate():
        c = form.cleaned
        try:
            await users.update_user(actor(request), user_id, name=c["name"], email=c["email"], phone=c["phone"],
                                    org_id=c["org"], kind=c["kind"], is_active=c["is_active"],
                                    role_ids=[int(r) for r in c["roles"]])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/admin/users/{user_id}", _("User saved."))
    return await render(request, "support/admin/user_form.html", form=form, target=row, can_edit=True, status=422,
                        orgs=await org_tree.flat(request.scope["user"].scope))


@post("/admin/users/{user_id:int}/unmask/{field:str}", guards=[requires("sup.user.view", "sup.field.unmask")])
async def user_unmask(request: Request, user_id: int, field: str) -> Response:
    """Reveal one masked value; the reveal itself is audited (SUP-16)."""
    value = await users.reveal_field(actor(request), user_id, field)
    return await render(request, "support/admin/unmask.html", value=value, field=field, user_id=user_id, block="value")


@post("/admin/users/{user_id:int}/logout-everywhere", guards=[requires("sup.user.edit")])
async def user_logout_everywhere(request: Request, user_id: int) -> Response:
    """Forced logout: every session of the user ends in every web process."""
    await users.get_user(actor(request), user_id)  # inside the admin's data scope, or 403
    await users.log_out_everywhere(actor(request), user_id)
    return redirect(request, f"/admin/users/{user_id}", _("The user was logged out on every device."))


ROUTES = [user_list, user_new, user_create, user_detail, user_update, user_unmask, user_logout_everywhere]

"""Menu editor (SUP-04): the menu tree; edit any entry, add and delete custom entries."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import REGISTRY, requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.support import menus


def _permission_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} · {perm.label}") for code, perm in sorted(REGISTRY.items())]


def menu_form(data=None, parents=(), creating=False) -> Form:
    fields = [Field("code", L("Code"), required=True, max_length=56,
                    help=L("Saved with the prefix custom., e.g. custom.reports."))] if creating else []
    fields += [Field("title", L("Title"), required=True, max_length=100,
                     help=L("An English message id (translated when shown) or local text.")),
               Field("url", L("Address"), max_length=300, help=L("Empty for a group heading.")),
               Field("icon", L("Icon"), max_length=40),
               Field("permission", L("Permission"), "select", choices=_permission_choices(),
                     help=L("Only users holding it see the entry; empty: everyone in the admin console.")),
               Field("parent", L("Parent entry"), "select", choices=list(parents)),
               Field("sort", L("Sort order"), "int", min_value=0, max_value=100000),
               Field("enabled", L("Enabled"), "checkbox")]
    return Form(fields, data or {})


async def _page(request: Request, form: Form, entry: dict | None = None, status: int = 200) -> Response:
    return await render(request, "support/admin/menus.html", tree=await menus.tree(), form=form, entry=entry,
                        status=status)


@get("/admin/menus", guards=[requires("sup.menu.edit")])
async def menu_tree(request: Request) -> Response:
    form = menu_form({"enabled": "on", "sort": 0}, await menus.parent_choices(), creating=True)
    return await _page(request, form)


@post("/admin/menus", guards=[requires("sup.menu.edit")])
async def menu_create(request: Request) -> Response:
    form = menu_form(await form_data(request), await menus.parent_choices(), creating=True)
    if form.validate():
        c = form.cleaned
        try:
            menu_id = await menus.create_custom(
                actor(request), code=c["code"], title=c["title"], url=c["url"] or "", icon=c["icon"] or "",
                permission=c["permission"] or "", sort=c["sort"] or 0, enabled=c["enabled"],
                parent_id=int(c["parent"]) if c["parent"] else None)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/admin/menus/{menu_id}", _("Menu entry created."))
    return await _page(request, form, status=422)


async def _entry(menu_id: int) -> dict:
    entry = await menus.get(menu_id)
    if entry is None:
        raise NotFoundException()
    return entry


@get("/admin/menus/{menu_id:int}", guards=[requires("sup.menu.edit")])
async def menu_edit(request: Request, menu_id: int) -> Response:
    entry = await _entry(menu_id)
    data = {**entry, "enabled": "on" if entry["enabled"] else "", "parent": entry["parent"] or ""}
    return await _page(request, menu_form(data, await menus.parent_choices(menu_id)), entry)


@post("/admin/menus/{menu_id:int}", guards=[requires("sup.menu.edit")])
async def menu_update(request: Request, menu_id: int) -> Response:
    entry = await _entry(menu_id)
    form = menu_form(await form_data(request), await menus.parent_choices(menu_id))
    if form.validate():
        c = form.cleaned
        try:
            await menus.update(actor(request), menu_id, title=c["title"], url=c["url"] or "",
                               icon=c["icon"] or "", permission=c["permission"] or "", sort=c["sort"] or 0,
                               enabled=c["enabled"], parent_id=int(c["parent"]) if c["parent"] else None)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except Conflict as exc:
            return redirect(request, "/admin/menus", str(exc), "error")
        else:
            return redirect(request, f"/admin/menus/{menu_id}", _("Menu entry saved."))
    return await _page(request, form, entry, status=422)


@get("/admin/menus/{menu_id:int}/delete", guards=[requires("sup.menu.edit")])
async def menu_delete_confirm(request: Request, menu_id: int) -> Response:
    entry = await _entry(menu_id)
    return await confirm_page(request, title=_("Delete menu entry"),
                              message=_("Delete %(title)s? This cannot be undone.", title=_(entry["title"])),
                              action=f"/admin/menus/{menu_id}/delete", cancel=f"/admin/menus/{menu_id}")


@post("/admin/menus/{menu_id:int}/delete", guards=[requires("sup.menu.edit")])
async def menu_delete(request: Request, menu_id: int) -> Response:
    try:
        await menus.delete_custom(actor(request), menu_id)
    except Conflict as exc:
        return redirect(request, f"/admin/menus/{menu_id}", str(exc), "error")
    return redirect(request, "/admin/menus", _("Menu entry deleted."))


ROUTES = [menu_tree, menu_create, menu_edit, menu_update, menu_delete_confirm, menu_delete]

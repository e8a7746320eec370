"""Category tree and attribute pages (MALL-05)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.mall import categories

GUARD = [requires("mall.category.edit")]
BASE = "/admin/mall/categories"


def category_fields(choices: list[tuple[str, str]]) -> list[Field]:
    return [Field("name", L("Category name"), required=True, max_length=64),
            Field("parent", L("Parent category"), "select", choices=choices, help=L("Empty = top level.")),
            Field("sort", L("Sort order"), "int"),
            Field("icon", L("Icon"), max_length=200, help=L("An icon name or an image URL.")),
            Field("enabled", L("Enabled"), "checkbox")]


ATTRIBUTE_FIELDS = [Field("name", L("Attribute name"), required=True, max_length=32, placeholder=L("e.g. 颜色")),
                    Field("values", L("Values"), "textarea", help=L("Separate values with commas, e.g. 红, 蓝, 白.")),
                    Field("sort", L("Sort order"), "int")]


async def _category(category_id: int) -> dict:
    try:
        return await categories.get(category_id)
    except categories.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def category_tree(request: Request) -> Response:
    rows = await categories.flat()
    return await render(request, "mall/admin/categories.html", nodes=categories.nest(rows), selected=None,
                        counts={r["id"]: r["products"] for r in rows})


async def _category_form(request: Request, data: dict, category_id: int | None = None, errors: dict | None = None,
                         status: int = 200) -> Response:
    choices = [c for c in await categories.choices() if c[0] != str(category_id)]
    form = Form(category_fields(choices), data=data, errors=errors or {})
    if category_id is None:
        return await render(request, "mall/admin/simple_form.html", form=form, title=_("New category"), action=BASE,
                            cancel=BASE, status=status)
    rows = await categories.flat()
    return await render(request, "mall/admin/category_detail.html", form=form, category=await _category(category_id),
                        attributes=await categories.attributes(category_id), nodes=categories.nest(rows),
                        attribute_form=Form(ATTRIBUTE_FIELDS, data={"sort": "0"}), status=status)


@get(f"{BASE}/new", guards=GUARD)
async def category_new(request: Request) -> Response:
    return await _category_form(request, {"parent": request.query_params.get("parent", ""), "sort": "0",
                                          "enabled": "on"})


@post(BASE, guards=GUARD)
async def category_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        category_id = await categories.save(actor(request), data)
    except Invalid as exc:
        return await _category_form(request, data, errors={exc.field or "__all__": exc.message}, status=422)
    return redirect(request, f"{BASE}/{category_id}", _("Category saved."))


@get(f"{BASE}/{{category_id:int}}", guards=GUARD)
async def category_detail(request: Request, category_id: int) -> Response:
    row = await _category(category_id)
    return await _category_form(request, {**row, "parent": row["parent"] or "",
                                          "enabled": "on" if row["enabled"] else ""}, category_id)


@post(f"{BASE}/{{category_id:int}}", guards=GUARD)
async def category_update(request: Request, category_id: int) -> Response:
    await _category(category_id)
    data = await form_data(request)
    try:
        await categories.save(actor(request), data, category_id)
    except Invalid as exc:
        return await _category_form(request, data, category_id, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/{category_id}", _("Category saved."))


@get(f"{BASE}/{{category_id:int}}/delete", guards=GUARD)
async def category_delete_confirm(request: Request, category_id: int) -> Response:
    row = await _category(category_id)
    return await confirm_page(request, _("Delete category"), _("Delete the category “%(name)s”?", name=row["name"]),
                              f"{BASE}/{category_id}/delete", f"{BASE}/{category_id}")


@post(f"{BASE}/{{category_id:int}}/delete", guards=GUARD)
async def category_delete(request: Request, category_id: int) -> Response:
    await _category(category_id)
    try:
        await categories.delete(actor(request), category_id)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{category_id}", str(exc), "error")
    return redirect(request, BASE, _("Category deleted."))


# --- attributes ------------------------------------------------------------------------------------------

async def _attribute_form(request: Request, category_id: int, data: dict, attribute_id: int | None,
                          errors: dict, status: int) -> Response:
    form = Form(ATTRIBUTE_FIELDS, data=data, errors=errors)
    action = f"{BASE}/{category_id}/attributes" + (f"/{attribute_id}" if attribute_id else "")
    return await render(request, "mall/admin/simple_form.html", form=form, action=action,
                        cancel=f"{BASE}/{category_id}", status=status,
                        title=_("Edit attribute") if attribute_id else _("New attribute"))


async def _save_attribute(request: Request, category_id: int, attribute_id: int | None) -> Response:
    await _category(category_id)
    data = await form_data(request)
    try:
        await categories.save_attribute(actor(request), category_id, data, attribute_id)
    except Invalid as exc:
        return await _attribute_form(request, category_id, data, attribute_id, {exc.field or "__all__": exc.message},
                                     422)
    return redirect(request, f"{BASE}/{category_id}", _("Attribute saved."))


async def _attribute(category_id: int, attribute_id: int) -> dict:
    try:
        row = await categories.get_attribute(attribute_id)
    except categories.NotFound:
        raise NotFoundException() from None
    if row["category"] != category_id:
        raise NotFoundException()
    return row


@post(f"{BASE}/{{category_id:int}}/attributes", guards=GUARD)
async def attribute_create(request: Request, category_id: int) -> Response:
    return await _save_attribute(request, category_id, None)


@get(f"{BASE}/{{category_id:int}}/attributes/{{attribute_id:int}}/edit", guards=GUARD)
async def attribute_edit(request: Request, category_id: int, attribute_id: int) -> Response:
    row = await _attribute(category_id, attribute_id)
    return await _attribute_form(request, category_id, {**row, "values": ", ".join(row["values"] or [])},
                                 attribute_id, {}, 200)


@post(f"{BASE}/{{category_id:int}}/attributes/{{attribute_id:int}}", guards=GUARD)
async def attribute_update(request: Request, category_id: int, attribute_id: int) -> Response:
    await _attribute(category_id, attribute_id)
    return await _save_attribute(request, category_id, attribute_id)


@get(f"{BASE}/{{category_id:int}}/attributes/{{attribute_id:int}}/delete", guards=GUARD)
async def attribute_delete_confirm(request: Request, category_id: int, attribute_id: int) -> Response:
    row = await _attribute(category_id, attribute_id)
    url = f"{BASE}/{category_id}/attributes/{attribute_id}/delete"
    return await confirm_page(request, _("Delete attribute"), _("Delete the attribute “%(name)s”?", name=row["name"]),
                              url, f"{BASE}/{category_id}")


@post(f"{BASE}/{{category_id:int}}/attributes/{{attribute_id:int}}/delete", guards=GUARD)
async def attribute_delete(request: Request, category_id: int, attribute_id: int) -> Response:
    await _attribute(category_id, attribute_id)
    await categories.delete_attribute(actor(request), attribute_id)
    return redirect(request, f"{BASE}/{category_id}", _("Attribute deleted."))


ROUTES = [category_tree, category_new, category_create, category_detail, category_update, category_delete_confirm,
          category_delete, attribute_create, attribute_edit, attribute_update, attribute_delete_confirm,
          attribute_delete]

"""Data dictionary admin (SUP-10): code tables, items with search/paging/drill-down, local codes."""
from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.support import dictionary


def item_form(data=None, creating=True) -> Form:
    fields = [Field("code", L("Code"), required=True, max_length=50),
              Field("name", L("Name"), required=True, max_length=200),
              Field("name_en", L("English name"), max_length=200),
              Field("sort", L("Sort order"), "int", min_value=0, max_value=1000000)]
    if creating:
        fields.insert(3, Field("parent_code", L("Parent code"), max_length=50,
                               help=L("Empty for a top-level code.")))
    else:
        fields.append(Field("enabled", L("Enabled"), "checkbox"))
    return Form(fields, data or {})


def _list_url(type_code: str, parent: str | None) -> str:
    return f"/admin/dictionary/{type_code}" + (f"?parent={quote(parent)}" if parent else "")


async def _type_or_404(type_code: str) -> dict:
    dict_type = await dictionary.get_type(type_code)
    if dict_type is None:
        raise NotFoundException()
    return dict_type


async def _item_or_404(type_code: str, code: str) -> dict:
    item = await dictionary.get_item(type_code, code)
    if item is None:
        raise NotFoundException()
    return item


@get("/admin/dictionary", guards=[requires("sup.dict.view")])
async def type_list(request: Request) -> Response:
    return await render(request, "support/admin/dictionary.html", types=await dictionary.list_types())


async def _items_page(request: Request, dict_type: dict, form: Form | None = None, status: int = 200) -> Response:
    filters = dictionary.ItemFilters.from_query(request.query_params)
    page = await dictionary.list_items(dict_type, filters, PageRequest.from_query(request.query_params))
    form = form or item_form({"parent_code": filters.parent, "sort": 0})
    return await render(request, "support/admin/dictionary_items.html", dict_type=dict_type, page=page, filters=filters,
                        crumbs=await dictionary.breadcrumb(dict_type["code"], filters.parent), form=form,
                        status=status, block="results")


@get("/admin/dictionary/{type_code:str}", guards=[requires("sup.dict.view")])
async def item_list(request: Request, type_code: str) -> Response:
    return await _items_page(request, await _type_or_404(type_code))


@post("/admin/dictionary/{type_code:str}", guards=[requires("sup.dict.edit")])
async def item_create(request: Request, type_code: str) -> Response:
    dict_type = await _type_or_404(type_code)
    form = item_form(await form_data(request))
    if form.validate():
        c = form.cleaned
        try:
            await dictionary.add_item(actor(request), dict_type, code=c["code"], name=c["name"],
                                      name_en=c["name_en"] or "", parent_code=c["parent_code"], sort=c["sort"] or 0)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, _list_url(type_code, c["parent_code"]), _("Code %(code)s added.", code=c["code"]))
    return await _items_page(request, dict_type, form, status=422)


async def _edit_page(request: Request, dict_type: dict, item: dict, form: Form, status: int = 200) -> Response:
    return await render(request, "support/admin/dictionary_item.html", dict_type=dict_type, item=item, form=form,
                        crumbs=await dictionary.breadcrumb(dict_type["code"], item["parent_code"]), status=status)


@get("/admin/dictionary/{type_code:str}/items/{code:str}", guards=[requires("sup.dict.view")])
async def item_detail(request: Request, type_code: str, code: str) -> Response:
    dict_type = await _type_or_404(type_code)
    item = await _item_or_404(type_code, code)
    form = item_form({**item, "enabled": "on" if item["enabled"] else ""}, creating=False)
    return await _edit_page(request, dict_type, item, form)


@post("/admin/dictionary/{type_code:str}/items/{code:str}", guards=[requires("sup.dict.edit")])
async def item_update(request: Request, type_code: str, code: str) -> Response:
    dict_type = await _type_or_404(type_code)
    item = await _item_or_404(type_code, code)
    data = await form_data(request)
    if item["builtin"]:
        data["code"] = item["code"]  # the input is read-only for built-in codes
    form = item_form(data, creating=False)
    if form.validate():
        c = form.cleaned
        try:
            new_code = await dictionary.update_item(actor(request), type_code, code, new_code=c["code"],
                                                    name=c["name"], name_en=c["name_en"] or "", sort=c["sort"] or 0,
                                                    enabled=c["enabled"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, _list_url(type_code, item["parent_code"]),
                            _("Code %(code)s saved.", code=new_code))
    return await _edit_page(request, dict_type, item, form, status=422)


@get("/admin/dictionary/{type_code:str}/items/{code:str}/delete", guards=[requires("sup.dict.edit")])
async def item_delete_confirm(request: Request, type_code: str, code: str) -> Response:
    item = await _item_or_404(type_code, code)
    return await confirm_page(request, title=_("Delete code"),
                              message=_("Delete %(code)s %(name)s? This cannot be undone.", code=item["code"],
                                        name=item["name"]),
                              action=f"/admin/dictionary/{type_code}/items/{quote(code)}/delete",
                              cancel=f"/admin/dictionary/{type_code}/items/{quote(code)}")


@post("/admin/dictionary/{type_code:str}/items/{code:str}/delete", guards=[requires("sup.dict.edit")])
async def item_delete(request: Request, type_code: str, code: str) -> Response:
    item = await _item_or_404(type_code, code)
    try:
        await dictionary.delete_item(actor(request), type_code, code)
    except Conflict as exc:
        return redirect(request, f"/admin/dictionary/{type_code}/items/{quote(code)}", str(exc), "error")
    return redirect(request, _list_url(type_code, item["parent_code"]), _("Code %(code)s deleted.", code=code))


ROUTES = [type_list, item_list, item_create, item_detail, item_update, item_delete_confirm, item_delete]

"""Custom fields admin (REC-02): list, create, edit, disable/enable, reorder."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, submit
from app.records import field_definitions, fields

GUARD = [requires("rec.field.edit")]


async def _load(field_id: int) -> dict:
    try:
        return await field_definitions.get_field(field_id)
    except field_definitions.NotFound:
        raise NotFoundException() from None


@get("/admin/records/fields", guards=GUARD)
async def field_list(request: Request) -> Response:
    return await render(request, "records/admin/fields.html", rows=await field_definitions.list_fields())


async def _form_page(request: Request, form, target=None, status: int = 200) -> Response:
    return await render(request, "records/admin/field_form.html", form=form, target=target, status=status,
                        kind_labels=fields.KINDS)


@get("/admin/records/fields/new", guards=GUARD)
async def field_new(request: Request) -> Response:
    form = field_definitions.field_form({"visible": "on", "section": "basic", "kind": "text"},
                                  await field_definitions.dict_types())
    return await _form_page(request, form)


@post("/admin/records/fields", guards=GUARD)
async def field_create(request: Request) -> Response:
    form = field_definitions.field_form(await form_data(request), await field_definitions.dict_types())
    done = await submit(request, form, lambda cleaned: field_definitions.create_field(actor(request), cleaned),
                        "/admin/records/fields", _("Custom field created."))
    return done or await _form_page(request, form, status=422)


@get("/admin/records/fields/{field_id:int}", guards=GUARD)
async def field_edit(request: Request, field_id: int) -> Response:
    row = await _load(field_id)
    data = {**row, "required": "on" if row["required"] else "", "visible": "on" if row["visible"] else ""}
    form = field_definitions.field_form(data, await field_definitions.dict_types(), creating=False)
    return await _form_page(request, form, row)


@post("/admin/records/fields/{field_id:int}", guards=GUARD)
async def field_update(request: Request, field_id: int) -> Response:
    row = await _load(field_id)
    form = field_definitions.field_form(await form_data(request), await field_definitions.dict_types(), creating=False)
    done = await submit(request, form,
                        lambda cleaned: field_definitions.update_field(actor(request), field_id, cleaned),
                        "/admin/records/fields", _("Custom field saved."))
    return done or await _form_page(request, form, row, status=422)


@get("/admin/records/fields/{field_id:int}/disable", guards=GUARD)
async def field_disable_confirm(request: Request, field_id: int) -> Response:
    row = await _load(field_id)
    return await confirm_page(request, _("Disable field %(label)s?", label=row["label"]),
                              _("The field disappears from forms, detail pages, queries, import and export. "
                                "Stored values are kept and come back when you enable it again."),
                              f"/admin/records/fields/{field_id}/disable", "/admin/records/fields")


@post("/admin/records/fields/{field_id:int}/disable", guards=GUARD)
async def field_disable(request: Request, field_id: int) -> Response:
    await _load(field_id)
    await field_definitions.set_enabled(actor(request), field_id, False)
    return redirect(request, "/admin/records/fields", _("Custom field disabled."))


@post("/admin/records/fields/{field_id:int}/enable", guards=GUARD)
async def field_enable(request: Request, field_id: int) -> Response:
    await _load(field_id)
    await field_definitions.set_enabled(actor(request), field_id, True)
    return redirect(request, "/admin/records/fields", _("Custom field enabled."))


@post("/admin/records/fields/{field_id:int}/move/{direction:str}", guards=GUARD)
async def field_move(request: Request, field_id: int, direction: str) -> Response:
    await _load(field_id)
    if direction not in ("up", "down"):
        raise NotFoundException()
    await field_definitions.move(actor(request), field_id, direction)
    return redirect(request, "/admin/records/fields")


ROUTES = [field_list, field_new, field_create, field_edit, field_update, field_disable_confirm, field_disable,
          field_enable, field_move]

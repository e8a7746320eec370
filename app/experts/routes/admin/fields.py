"""Admin page of the taxonomy of fields of expertise (EXP-13): three levels, add, rename, move, delete."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.experts import taxonomy

BASE = "/admin/experts/fields"
GUARD = [requires("exp.field.edit")]


async def field_form(data: dict, errors: dict | None = None, exclude: int | None = None) -> Form:
    parents = [(str(r["id"]), r["label"]) for r in await taxonomy.flat()
               if r["level"] < taxonomy.MAX_LEVEL and r["id"] != exclude]
    return Form([Field("name", L("Field name"), required=True, max_length=100),
                 Field("code", L("Code"), required=True, max_length=40, help=L("Used in imports, e.g. ENG-CIV.")),
                 Field("parent", L("Parent field"), "select", choices=parents, help=L("Empty = level 1.")),
                 Field("sort", L("Sort order"), "int")], data=data, errors=errors or {})


async def _page(request: Request, data: dict, errors: dict | None = None, status: int = 200,
                field_id: int | None = None) -> Response:
    return await render(request, "experts/admin/fields.html", nodes=await taxonomy.flat(), editing=field_id,
                        form=await field_form(data, errors, field_id), status=status,
                        action=f"{BASE}/{field_id}" if field_id else BASE)


@get(BASE, guards=GUARD)
async def field_tree(request: Request) -> Response:
    return await _page(request, {"parent": request.query_params.get("parent", ""), "sort": "0"})


async def _save(request: Request, field_id: int | None) -> Response:
    data = await form_data(request)
    form = await field_form(data, exclude=field_id)
    if not form.validate():
        return await _page(request, data, form.errors, 422, field_id)
    try:
        await taxonomy.save(actor(request), form.cleaned, field_id)
    except Invalid as exc:
        return await _page(request, data, {exc.field or "__all__": exc.message}, 422, field_id)
    return redirect(request, BASE, _("Field saved."))


@post(BASE, guards=GUARD)
async def field_create(request: Request) -> Response:
    return await _save(request, None)


@get(f"{BASE}/{{field_id:int}}", guards=GUARD)
async def field_edit(request: Request, field_id: int) -> Response:
    try:
        row = await taxonomy.get(field_id)
    except taxonomy.NotFound:
        raise NotFoundException() from None
    return await _page(request, {**row, "parent": row["parent"] or ""}, field_id=field_id)


@post(f"{BASE}/{{field_id:int}}", guards=GUARD)
async def field_update(request: Request, field_id: int) -> Response:
    try:
        await taxonomy.get(field_id)
    except taxonomy.NotFound:
        raise NotFoundException() from None
    return await _save(request, field_id)


@post(f"{BASE}/{{field_id:int}}/delete", guards=GUARD)
async def field_delete(request: Request, field_id: int) -> Response:
    try:
        await taxonomy.delete(actor(request), field_id)
    except taxonomy.NotFound:
        raise NotFoundException() from None
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Field deleted."))


ROUTES = [field_tree, field_create, field_edit, field_update, field_delete]

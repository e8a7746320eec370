"""Batch update (REC-13): the same filters as the alumni list choose the records (count shown first),
then fields and values, a confirmation, and one batch that the update log can roll back."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.records import batch_update
from app.records.api import PersonFilters

GUARD = [requires("rec.batch_update")]
FILTER_KEYS = ("q", "kind", "college", "entry_year", "org", "tag", "key")


def _codes(values) -> list[str]:
    values = values if isinstance(values, list) else [values] if values else []
    return list(dict.fromkeys(str(v) for v in values if v))


async def _page(request: Request, filters: PersonFilters, params: dict, codes: list[str], *, values=None,
                errors=None, confirm=False, status=200) -> Response:
    who = actor(request)
    return await render(
        request, "records/admin/batch_update.html", status=status, block="batch",
        count=await batch_update.count_targets(who, filters), filter_params=params,
        fields=await batch_update.updatable_fields(), chosen=codes, inputs=await batch_update.field_inputs(codes),
        values=values or {}, errors=errors or {}, confirm=confirm,
        colleges=await batch_update.college_options())


@get("/admin/records/batch-update", guards=GUARD)
async def batch_form(request: Request) -> Response:
    params = {k: request.query_params.get(k) for k in FILTER_KEYS if request.query_params.get(k)}
    return await _page(request, PersonFilters.from_query(request.query_params), params,
                       _codes(request.query_params.getall("fields", [])))


@post("/admin/records/batch-update", guards=GUARD)
async def batch_submit(request: Request) -> Response:
    data = await form_data(request)
    params = {k: data[k] for k in FILTER_KEYS if data.get(k)}
    filters = PersonFilters.from_query(params)
    codes = _codes(data.get("fields"))
    raw = {k: v for k, v in data.items() if k.startswith("v_")}
    try:
        values = await batch_update.parse_values(actor(request), data, codes)
    except Invalid as exc:
        return await _page(request, filters, params, codes, values=raw,
                           errors=getattr(exc, "errors", {exc.field: exc.message}), status=422)
    if data.get("confirmed") != "1":
        return await _page(request, filters, params, codes, values=raw, confirm=True)
    batch, changed = await batch_update.apply(actor(request), filters, values)
    return redirect(request, f"/admin/records/changes/batches/{batch}" if request.scope["user"].can(
        "rec.changes.view") else "/admin/records/batch-update",
        _("%(n)s records were updated (batch #%(id)s).", n=changed, id=batch))


ROUTES = [batch_form, batch_submit]

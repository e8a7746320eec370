"""Smart search of the expert pool (EXP-15, EXP-17, EXP-11 export): keyword + condition builder (the shared
components/query_builder.html, as on /admin/records/query), saved searches (save, re-run, rename, delete),
export of the result with the per-field allow list, and the allow-list page.

The whole search lives in the query string (bookmarkable). The builder is a GET form: its add/remove buttons
carry `act`; without JS the server edits the tree and redirects to the canonical URL, with htmx it re-renders
the builder block only; "Search" re-renders the results block."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import exports as core_exports
from app.core import query_tree as qt
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, is_htmx, redirect, render
from app.experts import exports, saved_searches, search

BASE = "/admin/experts/search"
SAVED = "/admin/experts/searches"
VIEW = [requires("exp.expert.view")]
EXPORT = [requires("exp.expert.view", "exp.expert.export")]
FIELDS_PAGE = f"{BASE}/export-fields"


def search_url(wanted: search.SmartSearch) -> str:
    return f"{BASE}?{urlencode(wanted.encode())}"


async def _page(request: Request, wanted: search.SmartSearch, *, error: str = "", save_error: str = "",
                status: int = 200, headers: dict | None = None) -> Response:
    who = actor(request)
    block = "builder" if request.headers.get("hx-target") == "query-builder" else "results"
    page = None
    if not error and block == "results":
        try:
            page = await search.run(who, wanted, PageRequest.from_query(request.query_params))
        except Invalid as exc:
            error, status = exc.message, 422
    saved = await saved_searches.saved_searches(who)
    return await render(
        request, "experts/admin/search.html", block=block, status=status, headers=headers, page=page,
        wanted=wanted, qb=await search.builder(who, wanted), error=error, save_error=save_error,
        encoded=wanted.encode(), current_url=search_url(wanted), summary=await search.describe(who, wanted),
        saved=saved, saved_urls={r["id"]: search_url(r["search"]) for r in saved},
        export_fields=await exports.columns() if who.can("exp.expert.export") else [])


@get(BASE, guards=VIEW)
async def search_page(request: Request) -> Response:
    params = request.query_params
    try:
        wanted = search.SmartSearch.from_params(params)
    except Invalid as exc:
        return await _page(request, search.SmartSearch(), error=exc.message, status=422)
    act = params.get("act")
    if act:
        wanted.tree = qt.edit(wanted.tree, act)
        if not is_htmx(request):
            return redirect(request, search_url(wanted))
    headers = {"HX-Push-Url": search_url(wanted)} if is_htmx(request) and (act or params.get("run")) else None
    return await _page(request, wanted, headers=headers)


@post(f"{BASE}/save", guards=VIEW)
async def search_save(request: Request) -> Response:
    data = await form_data(request)
    try:
        wanted = search.SmartSearch.from_params(data)
    except Invalid as exc:
        return await _page(request, search.SmartSearch(), error=exc.message, status=422)
    try:
        await saved_searches.save(actor(request), data.get("name", ""), wanted, shared=data.get("shared") == "on")
    except Invalid as exc:
        return await _page(request, wanted, save_error=exc.message, status=422)
    return redirect(request, search_url(wanted), _("Search saved."))


async def _saved(request: Request, search_id: int) -> dict:
    try:
        return await saved_searches.get_saved(actor(request), search_id)
    except saved_searches.NotFound:
        raise NotFoundException() from None


@get(f"{SAVED}/{{search_id:int}}", guards=VIEW)
async def saved_rerun(request: Request, search_id: int) -> Response:
    """Re-run a saved search: its canonical URL."""
    try:
        row = await saved_searches.get_saved(actor(request), search_id)
    except saved_searches.NotFound:
        return redirect(request, BASE, _("That saved search no longer exists."), "error")
    return redirect(request, search_url(row["search"]))


async def _rename_page(request: Request, row: dict, error: str = "", status: int = 200) -> Response:
    return await render(request, "experts/admin/search_rename.html", saved=row, error=error, status=status)


@get(f"{SAVED}/{{search_id:int}}/rename", guards=VIEW)
async def saved_rename_form(request: Request, search_id: int) -> Response:
    return await _rename_page(request, await _saved(request, search_id))


@post(f"{SAVED}/{{search_id:int}}/rename", guards=VIEW)
async def saved_rename(request: Request, search_id: int) -> Response:
    row = await _saved(request, search_id)
    data = await form_data(request)
    try:
        await saved_searches.rename(actor(request), search_id, data.get("name", ""), data.get("shared") == "on")
    except Invalid as exc:
        return await _rename_page(request, {**row, "name": data.get("name", "")}, exc.message, 422)
    except saved_searches.NotFound:
        return redirect(request, BASE, _("Only the owner can change a saved search."), "error")
    return redirect(request, BASE, _("Saved search renamed."))


@get(f"{SAVED}/{{search_id:int}}/delete", guards=VIEW)
async def saved_delete_confirm(request: Request, search_id: int) -> Response:
    row = await _saved(request, search_id)
    return await confirm_page(request, _("Delete saved search"),
                              _("Delete the saved search “%(name)s”? The experts themselves are not affected.",
                                name=row["name"]), f"{SAVED}/{search_id}/delete", BASE)


@post(f"{SAVED}/{{search_id:int}}/delete", guards=VIEW)
async def saved_delete(request: Request, search_id: int) -> Response:
    try:
        await saved_searches.delete(actor(request), search_id)
    except saved_searches.NotFound:
        return redirect(request, BASE, _("Only the owner can delete a saved search."), "error")
    return redirect(request, BASE, _("Saved search deleted."))


@post(f"{BASE}/export", guards=EXPORT, status_code=200)
async def search_export(request: Request) -> Response:
    """The result as xlsx/csv: columns chosen in the form, limited by the allow list; contacts by the reveal
    rule. A POST (CSRF) because it is audited."""
    data = await form_data(request)
    try:
        wanted = search.SmartSearch.from_params(data)
        cols = data.get("cols") or []
        cols = cols if isinstance(cols, list) else [cols]
        body, _count = await exports.export(actor(request), wanted, cols, data.get("fmt") or "xlsx")
    except Invalid as exc:
        return redirect(request, BASE, exc.message, "error")
    fmt = "csv" if data.get("fmt") == "csv" else "xlsx"
    return core_exports.attachment(f"{_('Experts')}.{fmt}", body, core_exports.MEDIA_TYPES[fmt])


@get(FIELDS_PAGE, guards=EXPORT)
async def export_fields_page(request: Request) -> Response:
    return await render(request, "experts/admin/search_export_fields.html", allowed=await exports.allowed_fields(),
                        labels=exports.FIELDS)


@post(FIELDS_PAGE, guards=EXPORT)
async def export_fields_save(request: Request) -> Response:
    data = await form_data(request)
    allowed = data.get("allow") or []
    await exports.save_allowed(actor(request), allowed if isinstance(allowed, list) else [allowed])
    return redirect(request, FIELDS_PAGE, _("Export fields saved."))


ROUTES = [search_page, search_save, saved_rerun, saved_rename_form, saved_rename, saved_delete_confirm, saved_delete,
          search_export, export_fields_page, export_fields_save]

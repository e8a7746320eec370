"""Combined query (REC-05): the builder + results page, saved queries (save, re-run, delete).

The whole query lives in the query string (bookmarkable). The builder is a GET form: its add/remove
buttons carry `act`, the server edits the tree and redirects to the canonical URL (no JS) or re-renders
just the builder block (htmx)."""
from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, is_htmx, redirect, render
from app.records import api, fields, people, query, saved_queries
from app.records.routes.admin import QUERY_PAGE, query_page_url

GUARD = [requires("rec.person.view")]
BASE = QUERY_PAGE


def builder_context(tree: dict, specs: dict, choices: dict, error: str = "") -> dict:
    """What components/query_builder.html needs (`error`: a message shown above the builder)."""
    return {"tree": tree, "specs": specs, "sections": query.sections(specs.values()), "choices": choices,
            "cmps_for": query.cmps_for, "cmp_labels": query.CMPS, "no_value": query.NO_VALUE, "error": error,
            "max_depth": query.MAX_DEPTH}


async def _page(request: Request, tree: dict, *, error: str = "", save_error: str = "", status: int = 200,
                headers: dict | None = None) -> Response:
    who = actor(request)
    specs = await fields.by_code()
    page = None
    block = "builder" if request.headers.get("hx-target") == "query-builder" else "results"
    if not error and block == "results":  # a builder edit under htmx re-renders only the builder
        try:
            page = await query.run(who, tree, PageRequest.from_query(request.query_params))
        except Invalid as exc:
            error, status = exc.message, 422
    url = query_page_url(tree)
    choices = await query.choices_for(tree, specs)
    can_tag = who.can("rec.tag.edit")
    saved = await saved_queries.saved_queries(who)
    columns = await people.list_table(who, list(specs.values()))  # the alumni list's columns
    return await render(
        request, "records/admin/query.html", block=block, status=status, headers=headers, page=page,
        qb=builder_context(tree, specs, choices), error=error,
        columns=columns, save_error=save_error, encoded=query.encode(tree), current_url=url,
        summary=query.describe(tree, specs, choices), saved=saved,
        saved_urls={r["id"]: query_page_url(r["tree"]) for r in saved},
        bulk_actions=[{"url": f"/admin/records/tags/bulk?mode=add&next={quote(url)}", "label": _("Add tag…")},
                      {"url": f"/admin/records/tags/bulk?mode=remove&next={quote(url)}", "label": _("Remove tag…")}]
        if can_tag else [])


@get(BASE, guards=GUARD)
async def query_page(request: Request) -> Response:
    params = request.query_params
    try:
        tree = query.parse_params(params)
    except Invalid as exc:
        return await _page(request, query.empty_tree(), error=exc.message, status=422)
    if not tree["items"]:
        tree = query.empty_tree()
    act = params.get("act")
    if act:
        tree = query.edit(tree, act)
        if not is_htmx(request):
            return redirect(request, query_page_url(tree))
    headers = {"HX-Push-Url": query_page_url(tree)} if is_htmx(request) and (act or params.get("run")) else None
    return await _page(request, tree, headers=headers)


@post(f"{BASE}/save", guards=GUARD)
async def query_save(request: Request) -> Response:
    data = await form_data(request)
    try:
        tree = query.parse_params(data)
        await saved_queries.save_query(actor(request), data.get("name", ""), tree, shared=data.get("shared") == "on")
    except Invalid as exc:
        tree = query.parse_params(data) if exc.field == "name" else query.empty_tree()
        return await _page(request, tree, save_error=exc.message, status=422)
    return redirect(request, query_page_url(tree), _("Query saved."))


@get("/admin/records/queries/{query_id:int}", guards=GUARD)
async def query_rerun(request: Request, query_id: int) -> Response:
    """Re-run a saved query: its canonical URL."""
    try:
        saved = await saved_queries.get_saved(actor(request), query_id)
    except api.NotFound:
        return redirect(request, BASE, _("That saved query no longer exists."), "error")
    return redirect(request, query_page_url(saved["tree"]))


@get("/admin/records/queries/{query_id:int}/delete", guards=GUARD)
async def query_delete_confirm(request: Request, query_id: int) -> Response:
    try:
        saved = await saved_queries.get_saved(actor(request), query_id)
    except api.NotFound:
        raise NotFoundException() from None
    return await confirm_page(request, _("Delete saved query"),
                              _("Delete the saved query “%(name)s”? The records themselves are not affected.",
                                name=saved["name"]), f"/admin/records/queries/{query_id}/delete", BASE)


@post("/admin/records/queries/{query_id:int}/delete", guards=GUARD)
async def query_delete(request: Request, query_id: int) -> Response:
    try:
        await saved_queries.delete_query(actor(request), query_id)
    except api.NotFound:
        return redirect(request, BASE, _("Only the owner can delete a saved query."), "error")
    return redirect(request, BASE, _("Saved query deleted."))


ROUTES = [query_page, query_save, query_rerun, query_delete_confirm, query_delete]

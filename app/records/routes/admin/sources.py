"""Data sources (REC-09): rec_source CRUD, run now, and the sync log."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import sqlfilter
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, submit
from app.records import sync

GUARD = [requires("rec.sync.edit")]


async def _load(source_id: int) -> dict:
    try:
        return await sync.get_source(source_id)
    except LookupError:
        raise NotFoundException() from None


@get("/admin/records/sources", guards=GUARD)
async def source_list(request: Request) -> Response:
    page = await sync.list_sources(PageRequest.from_query(request.query_params))
    return await render(request, "records/admin/sources.html", page=page, kinds=sync.KINDS, block="results")


async def _form_page(request: Request, form, target=None, status: int = 200) -> Response:
    return await render(request, "records/admin/source_form.html", form=form, target=target, status=status,
                        root=str(sync.sync_root()))


@get("/admin/records/sources/new", guards=GUARD)
async def source_new(request: Request) -> Response:
    return await _form_page(request, sync.source_form({"kind": "sql", "every_minutes": "1440", "on_duplicate": "skip",
                                                      "enabled": "on"}))


async def _save(request: Request, source_id: int | None, target: dict | None) -> Response:
    form = sync.source_form(await form_data(request))
    done = await submit(request, form, lambda cleaned: sync.save_source(actor(request), source_id, cleaned),
                        "/admin/records/sources", _("Data source saved."))
    return done or await _form_page(request, form, target, status=422)


@post("/admin/records/sources", guards=GUARD)
async def source_create(request: Request) -> Response:
    return await _save(request, None, None)


@get("/admin/records/sources/{source_id:int}", guards=GUARD)
async def source_edit(request: Request, source_id: int) -> Response:
    row = await _load(source_id)
    data = sync.form_data_of(row)
    data["dsn"] = ""  # never sent back to the browser; empty keeps the stored one
    return await _form_page(request, sync.source_form(data), row)


@post("/admin/records/sources/{source_id:int}", guards=GUARD)
async def source_update(request: Request, source_id: int) -> Response:
    return await _save(request, source_id, await _load(source_id))


@get("/admin/records/sources/{source_id:int}/delete", guards=GUARD)
async def source_delete_confirm(request: Request, source_id: int) -> Response:
    row = await _load(source_id)
    return await confirm_page(request, _("Delete data source %(name)s?", name=row["name"]),
                              _("Its sync log is deleted too. Records it imported stay."),
                              f"/admin/records/sources/{source_id}/delete", "/admin/records/sources")


@post("/admin/records/sources/{source_id:int}/delete", guards=GUARD)
async def source_delete(request: Request, source_id: int) -> Response:
    await _load(source_id)
    await sync.delete_source(actor(request), source_id)
    return redirect(request, "/admin/records/sources", _("Data source deleted."))


@post("/admin/records/sources/{source_id:int}/run", guards=GUARD)
async def source_run(request: Request, source_id: int) -> Response:
    await _load(source_id)
    await sync.run_now(actor(request), source_id)
    return redirect(request, f"/admin/records/sources/log?source={source_id}",
                    _("The sync has been queued; its result appears in the log below."))


@get("/admin/records/sources/log", guards=GUARD)
async def sync_log(request: Request) -> Response:
    source_id = sqlfilter.number(request.query_params, "source")
    source = await _load(source_id) if source_id else None
    page = await sync.list_logs(PageRequest.from_query(request.query_params), source_id)
    running = any(r["status"] == "running" for r in page.items)
    return await render(request, "records/admin/sync_log.html", page=page, source=source, running=running,
                        block="results")


ROUTES = [source_list, source_new, source_create, source_edit, source_update, source_delete_confirm, source_delete,
          source_run, sync_log]

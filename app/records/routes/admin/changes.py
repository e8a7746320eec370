"""Update log (REC-16): all record changes and batches for HQ admins, rollback of a change or a batch."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import PermissionDenied, requires
from app.core.web import actor, confirm_page, redirect, render
from app.records import change_log, changes, rollback

VIEW = [requires("rec.changes.view")]
ROLLBACK = [requires("rec.changes.view", "rec.changes.rollback")]


@get("/admin/records/changes", guards=VIEW)
async def change_list(request: Request) -> Response:
    filters = change_log.ChangeFilters.from_query(request.query_params)
    page = await change_log.list_changes(actor(request), filters, PageRequest.from_query(request.query_params))
    return await render(request, "records/admin/changes.html", tab="changes", page=page, filters=filters,
                        methods=changes.METHODS, block="results")


@get("/admin/records/changes/batches", guards=VIEW)
async def batch_list(request: Request) -> Response:
    params = request.query_params
    page = await change_log.list_batches(actor(request), params.get("kind") or "", params.get("status") or "",
                                         PageRequest.from_query(params))
    return await render(request, "records/admin/changes.html", tab="batches", page=page, kinds=change_log.BATCH_KINDS,
                        block="results")


async def _batch_page(request: Request, batch_id: int, conflict: rollback.RollbackConflict | None = None,
                      status: int = 200) -> Response:
    who = actor(request)
    batch = await change_log.get_batch(who, batch_id)
    if batch is None:
        raise NotFoundException()
    page = await change_log.list_changes(who, change_log.ChangeFilters(batch=batch_id),
                                         PageRequest.from_query(request.query_params))
    return await render(request, "records/admin/change_batch.html", batch=batch, page=page, conflict=conflict,
                        status=status, block="results")


@get("/admin/records/changes/batches/{batch_id:int}", guards=VIEW)
async def batch_detail(request: Request, batch_id: int) -> Response:
    return await _batch_page(request, batch_id)


@get("/admin/records/changes/batches/{batch_id:int}/rollback", guards=ROLLBACK)
async def batch_rollback_confirm(request: Request, batch_id: int) -> Response:
    batch = await change_log.get_batch(actor(request), batch_id)
    if batch is None:
        raise NotFoundException()
    return await confirm_page(request, title=_("Roll back this batch?"),
                              message=_("All %(n)s changes of batch #%(id)s (%(summary)s) will be undone.",
                                        n=batch["changes"], id=batch_id, summary=batch["summary"]),
                              action=f"/admin/records/changes/batches/{batch_id}/rollback",
                              cancel=f"/admin/records/changes/batches/{batch_id}")


@post("/admin/records/changes/batches/{batch_id:int}/rollback", guards=ROLLBACK)
async def batch_rollback(request: Request, batch_id: int) -> Response:
    if await change_log.get_batch(actor(request), batch_id) is None:
        raise NotFoundException()
    try:
        await rollback.rollback_batch(actor(request), batch_id)
    except rollback.RollbackConflict as exc:
        return await _batch_page(request, batch_id, exc, 409)
    except Conflict as exc:
        return redirect(request, f"/admin/records/changes/batches/{batch_id}", str(exc), "error")
    except PermissionDenied:
        raise
    return redirect(request, f"/admin/records/changes/batches/{batch_id}", _("The batch was rolled back."))


@get("/admin/records/changes/{change_id:int}/rollback", guards=ROLLBACK)
async def change_rollback_confirm(request: Request, change_id: int) -> Response:
    change = await change_log.get_change(actor(request), change_id)
    if change is None:
        raise NotFoundException()
    return await confirm_page(request, title=_("Roll back this change?"),
                              message=_("%(field)s of %(person)s goes back from “%(new)s” to “%(old)s”.",
                                        field=change["field_label"] or _("Whole record"),
                                        person=change["person_name"] or f"#{change['person']}",
                                        new=change["new_text"] or "—", old=change["old_text"] or "—"),
                              action=f"/admin/records/changes/{change_id}/rollback",
                              cancel=f"/admin/records/changes?person={change['person']}")


@post("/admin/records/changes/{change_id:int}/rollback", guards=ROLLBACK)
async def change_rollback(request: Request, change_id: int) -> Response:
    change = await change_log.get_change(actor(request), change_id)
    if change is None:
        raise NotFoundException()
    back = f"/admin/records/changes?person={change['person']}"
    try:
        await rollback.rollback_change(actor(request), change_id)
    except rollback.RollbackConflict as exc:
        later = exc.later[0]
        hint = (f"/admin/records/changes/batches/{later['batch']}" if later["batch"]
                else f"/admin/records/changes?person={later['person']}")
        return redirect(request, back + f"&later={later['id']}", f"{exc} ({hint})", "error")
    except Conflict as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, _("The change was rolled back."))


ROUTES = [change_list, batch_list, batch_detail, batch_rollback_confirm, batch_rollback, change_rollback_confirm,
          change_rollback]

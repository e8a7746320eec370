"""Background jobs in the UI: list, detail with live progress (htmx poll, meta refresh without JS),
retry/cancel with confirm pages, and the recurring schedules."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, is_htmx, redirect, render
from app.support import job_monitor

# Schedules are system-wide: switching one on/off needs the site-settings permission as well.
SCHEDULE_EDIT = ("sup.job.view", "sup.settings.edit")
STATUS_LABELS = {"queued": L("Queued"), "running": L("Running"), "done": L("Done"), "failed": L("Failed"),
                 "cancelled": L("Cancelled")}


@get("/admin/jobs", guards=[requires("sup.job.view")])
async def job_list(request: Request) -> Response:
    status = request.query_params.get("status") or ""
    kind = request.query_params.get("kind") or ""
    page = await job_monitor.list_jobs(actor(request), status, kind, PageRequest.from_query(request.query_params))
    return await render(request, "support/admin/jobs.html", page=page, block="results", status_labels=STATUS_LABELS,
                        status_options=list(STATUS_LABELS.items()),
                        kind_options=[(k, k) for k in await job_monitor.kinds(actor(request))])


async def _job(request: Request, job_id: int) -> dict:
    job = await job_monitor.get_job(actor(request), job_id)
    if job is None:
        raise NotFoundException()
    return job


@get("/admin/jobs/{job_id:int}", guards=[requires("sup.job.view")])
async def job_detail(request: Request, job_id: int) -> Response:
    job = await _job(request, job_id)
    # Without JS the page reloads itself while the job is unfinished; htmx polls the block instead.
    return await render(request, "support/admin/jobs_detail.html", job=job, block="progress",
                        status_labels=STATUS_LABELS, meta_refresh=job["active"] and not is_htmx(request))


async def _confirm(request: Request, job: dict, verb: str, title: str, message: str) -> Response:
    return await confirm_page(request, title=title, message=message,
                              action=f"/admin/jobs/{job['id']}/{verb}", cancel=f"/admin/jobs/{job['id']}")


@get("/admin/jobs/{job_id:int}/retry", guards=[requires("sup.job.view")])
async def job_retry_confirm(request: Request, job_id: int) -> Response:
    job = await _job(request, job_id)
    return await _confirm(request, job, "retry", _("Retry job"),
                          _("Run job #%(id)s (%(kind)s) again?", id=job["id"], kind=job["kind"]))


@post("/admin/jobs/{job_id:int}/retry", guards=[requires("sup.job.view")])
async def job_retry(request: Request, job_id: int) -> Response:
    try:
        await job_monitor.retry(actor(request), job_id)
    except Conflict as exc:
        return redirect(request, f"/admin/jobs/{job_id}", str(exc), "error")
    return redirect(request, f"/admin/jobs/{job_id}", _("The job is queued again."))


@get("/admin/jobs/{job_id:int}/cancel", guards=[requires("sup.job.view")])
async def job_cancel_confirm(request: Request, job_id: int) -> Response:
    job = await _job(request, job_id)
    return await _confirm(request, job, "cancel", _("Cancel job"),
                          _("Cancel job #%(id)s (%(kind)s)? It will not run.", id=job["id"], kind=job["kind"]))


@post("/admin/jobs/{job_id:int}/cancel", guards=[requires("sup.job.view")])
async def job_cancel(request: Request, job_id: int) -> Response:
    try:
        await job_monitor.cancel(actor(request), job_id)
    except Conflict as exc:
        return redirect(request, f"/admin/jobs/{job_id}", str(exc), "error")
    return redirect(request, f"/admin/jobs/{job_id}", _("The job is cancelled."))


@get("/admin/jobs/schedules", guards=[requires("sup.job.view")])
async def schedule_list(request: Request) -> Response:
    return await render(request, "support/admin/jobs_schedules.html", schedules=await job_monitor.list_schedules(),
                        can_edit=all(request.scope["user"].can(p) for p in SCHEDULE_EDIT))


async def _set_schedule(request: Request, schedule_id: int, enabled: bool) -> Response:
    try:
        row = await job_monitor.set_schedule_enabled(actor(request), schedule_id, enabled)
    except Conflict as exc:
        return redirect(request, "/admin/jobs/schedules", str(exc), "error")
    message = (_("Schedule %(name)s enabled.", name=row["name"]) if enabled
               else _("Schedule %(name)s disabled.", name=row["name"]))
    return redirect(request, "/admin/jobs/schedules", message)


@post("/admin/jobs/schedules/{schedule_id:int}/enable", guards=[requires(*SCHEDULE_EDIT)])
async def schedule_enable(request: Request, schedule_id: int) -> Response:
    return await _set_schedule(request, schedule_id, True)


@post("/admin/jobs/schedules/{schedule_id:int}/disable", guards=[requires(*SCHEDULE_EDIT)])
async def schedule_disable(request: Request, schedule_id: int) -> Response:
    return await _set_schedule(request, schedule_id, False)


ROUTES = [job_list, job_detail, job_retry_confirm, job_retry, job_cancel_confirm, job_cancel, schedule_list,
          schedule_enable, schedule_disable]

"""Export of alumni records (REC-10): choose columns and format for the selected rows or the current
filter; small exports download at once, big ones run as a job with a progress page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.exports import MEDIA_TYPES, attachment
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.storage import storage
from app.core.web import actor, form_data, is_htmx, redirect, render
from app.records import export

GUARD = [requires("rec.person.view", "rec.export")]


class _Params(dict):
    """Form data (lists for repeated keys) with the query-string interface `from_params` reads."""

    def getall(self, key: str, default=()):
        value = self.get(key)
        return default if value is None else (value if isinstance(value, list) else [value])

    def get(self, key, default=None):
        value = super().get(key, default)
        return value[0] if isinstance(value, list) and key not in ("ids", "cols") and value else value


async def _page(request: Request, req: export.ExportRequest, error: str = "", status: int = 200) -> Response:
    who = actor(request)
    hidden = req.hidden_fields()
    return await render(request, "records/admin/export.html", columns=await export.available_columns(who),
                        chosen={c.code for c in await export.chosen_columns(who, req)} if not error else set(),
                        req=req, count=await export.count(who, req), hidden=hidden, error=error,
                        limit=export.INLINE_LIMIT, status=status)


@get("/admin/records/export", guards=GUARD)
async def export_form(request: Request) -> Response:
    return await _page(request, export.ExportRequest.from_params(request.query_params))


@post("/admin/records/export", guards=GUARD, status_code=200)
async def export_run(request: Request) -> Response:
    data = _Params(await form_data(request))
    req = export.ExportRequest.from_params(data)
    who = actor(request)
    try:
        if await export.count(who, req) > export.INLINE_LIMIT:
            job_id = await export.start_job(who, req)
            return redirect(request, f"/admin/records/export/jobs/{job_id}", _("The export is being prepared."))
        filename, content, _rows = await export.build(who, req)
    except Invalid as exc:
        return await _page(request, req, exc.message, 422)
    return attachment(filename, content, MEDIA_TYPES[req.fmt])


async def _job(request: Request, job_id: int) -> dict:
    try:
        return await export.job_for(actor(request), job_id)
    except LookupError:
        raise NotFoundException() from None


@get("/admin/records/export/jobs/{job_id:int}", guards=GUARD)
async def export_job(request: Request, job_id: int) -> Response:
    job = await _job(request, job_id)
    running = job["status"] in ("queued", "running")
    return await render(request, "records/admin/export_job.html", job=job, running=running, htmx=is_htmx(request),
                        block="progress" if request.headers.get("hx-target") == "progress" else None)


@get("/admin/records/export/jobs/{job_id:int}/download", guards=GUARD)
async def export_download(request: Request, job_id: int) -> Response:
    job = await _job(request, job_id)
    if job["status"] != "done" or not job["result"]:
        raise NotFoundException()
    return attachment(job["result"]["filename"], storage().get(job["result"]["key"]))


ROUTES = [export_form, export_run, export_job, export_download]

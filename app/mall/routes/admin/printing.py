"""Printing orders (MALL-07): /admin/mall/print?ids=…&kind=… returns the PDF inline for small batches;
bigger ones are confirmed and run as a job with a progress page (htmx polls, meta refresh without JS)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import pdf
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.storage import storage
from app.core.web import actor as actor_of
from app.core.web import form_data, is_htmx, redirect, render
from app.mall import print_batches, printing

GUARD = [requires("mall.order.print")]


@get("/admin/mall/print", guards=GUARD)
async def print_orders(request: Request) -> Response:
    ids = printing.parse_ids(request.query_params.getall("ids", []))
    kind = request.query_params.get("kind") or "sheet"
    try:
        printing.check(ids, kind)
        if len(ids) > printing.INLINE_MAX:
            return await render(request, "mall/admin/print_confirm.html", ids=ids, kind=kind, kinds=printing.KINDS)
        name, data, _count = await printing.render(actor_of(request), ids, kind)
    except Invalid as exc:
        return redirect(request, "/admin/mall/orders", exc.message, "error")
    return pdf.pdf_response(name, data)


@post("/admin/mall/print-jobs", guards=GUARD)
async def print_job_start(request: Request) -> Response:
    data = await form_data(request)
    try:
        job_id = await print_batches.start(request.scope["user"].id, printing.parse_ids(data.get("ids")),
                                           data.get("kind") or "")
    except Invalid as exc:
        return redirect(request, "/admin/mall/orders", exc.message, "error")
    return redirect(request, f"/admin/mall/print-jobs/{job_id}", _("Printing has started."))


@get("/admin/mall/print-jobs", guards=GUARD)
async def print_job_list(request: Request) -> Response:
    page = await print_batches.list_for(actor_of(request), PageRequest.from_query(request.query_params))
    return await render(request, "mall/admin/print_jobs.html", page=page, kinds=printing.KINDS)


@get("/admin/mall/print-jobs/{job_id:int}", guards=GUARD)
async def print_job_status(request: Request, job_id: int) -> Response:
    job = await print_batches.get(actor_of(request), job_id)
    if job is None:  # missing, or another user's (404 like export jobs: no hint that it exists)
        raise NotFoundException()
    running = job["status"] in ("queued", "running")
    return await render(request, "mall/admin/print_job.html", job=job, running=running, htmx=is_htmx(request),
                        kinds=printing.KINDS, block="progress")


@get("/admin/mall/print-jobs/{job_id:int}/download", guards=GUARD)
async def print_job_download(request: Request, job_id: int) -> Response:
    job = await print_batches.get(actor_of(request), job_id)
    if job is None or job["status"] != "done":
        raise NotFoundException()
    result = job["result"]
    return pdf.pdf_response(result["filename"], storage().get(result["key"]), inline=False)


ROUTES = [print_orders, print_job_start, print_job_list, print_job_status, print_job_download]

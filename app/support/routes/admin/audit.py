"""Audit log (SUP-14): search, before/after detail, export through the shared export engine."""
from __future__ import annotations

from datetime import date

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from app.core.exports import export_response, watermark_text
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, render
from app.support import audit_log


@get("/admin/audit", guards=[requires("sup.audit.view")])
async def audit_list(request: Request) -> Response:
    filters = audit_log.AuditFilters.from_query(request.query_params)
    page = await audit_log.list_entries(actor(request), filters,
                                        PageRequest.from_query(request.query_params, default_sort="-at"))
    return await render(request, "support/admin/audit.html", page=page, filters=filters, block="results",
                        choices=await audit_log.filter_choices())


@get("/admin/audit/{entry_id:int}", guards=[requires("sup.audit.view")])
async def audit_detail(request: Request, entry_id: int) -> Response:
    entry = await audit_log.get_entry(actor(request), entry_id)
    if entry is None:
        raise NotFoundException()
    return await render(request, "support/admin/audit_detail.html", entry=entry, rows=audit_log.diff_rows(entry))


@get("/admin/audit/export", guards=[requires("sup.audit.view", "sup.audit.export")])
async def audit_export(request: Request) -> Response:
    filters = audit_log.AuditFilters.from_query(request.query_params)
    rows = await audit_log.export_rows(actor(request), filters)
    columns = [("at", _("Time")), ("actor", _("Actor")), ("actor_real_name", _("Name")), ("ip", _("IP address")),
               ("action", _("Action")), ("entity", _("Entity")), ("entity_id", _("Entity ID")),
               ("summary", _("Summary")), ("changed", _("Changed fields")), ("before", _("Before")),
               ("after", _("After"))]
    fmt = request.query_params.get("fmt") if request.query_params.get("fmt") in ("xlsx", "csv") else "xlsx"
    viewer = request.scope["user"]
    return export_response(f"audit-log-{date.today().isoformat()}", columns, rows, fmt=fmt, viewer=viewer,
                           watermark=watermark_text(viewer))


ROUTES = [audit_list, audit_export, audit_detail]

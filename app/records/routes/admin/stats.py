"""Alumni statistics page and the xlsx export of its numbers (REC-17)."""
from __future__ import annotations

from datetime import date

from litestar import Request, Response, get

from app.core import exports
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, render
from app.records import stats


@get("/admin/records/stats", guards=[requires("rec.stats.view")])
async def stats_page(request: Request) -> Response:
    return await render(request, "records/admin/stats.html", data=await stats.overview(actor(request)))


@get("/admin/records/stats/export.xlsx", guards=[requires("rec.stats.view")])
async def stats_export(request: Request) -> Response:
    columns, rows = stats.export_rows(await stats.overview(actor(request)))
    viewer = request.scope["user"]
    return exports.export_response(f"{_('Alumni statistics')}-{date.today().isoformat()}.xlsx", columns, rows,
                                   "xlsx", viewer=viewer, watermark=exports.watermark_text(viewer))


ROUTES = [stats_page, stats_export]

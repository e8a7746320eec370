"""Verification statistics (IDV-05): the funnel and the verified counts by method, college and entry year as
SVG charts and tables, for a period, inside the viewer's data scope; the numbers as xlsx (audited)."""
from __future__ import annotations

from litestar import Request, Response, get

from app.core import audit, exports
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, render
from app.identity import stats


@get("/admin/identity/stats", guards=[requires("idn.stats.view")])
async def stats_page(request: Request) -> Response:
    period, errors = stats.Period.from_query(request.query_params)
    return await render(request, "identity/admin/stats.html", period=period, errors=errors,
                        data=await stats.overview(actor(request), period), status=422 if errors else 200)


@get("/admin/identity/stats/export.xlsx", guards=[requires("idn.stats.view", "idn.stats.export")])
async def stats_export(request: Request) -> Response:
    who = actor(request)
    period, _errors = stats.Period.from_query(request.query_params)
    columns, rows = stats.export_rows(await stats.overview(who, period))
    await audit.record(who, "export", "idn_stats", "", summary=f"{period.start or ''}..{period.end or ''}")
    viewer = request.scope["user"]
    return exports.export_response(f"{_('Verification statistics')}.xlsx", columns, rows, "xlsx", viewer=viewer,
                                   watermark=exports.watermark_text(viewer))


ROUTES = [stats_page, stats_export]

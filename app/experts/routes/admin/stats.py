"""Expert statistics (EXP-18) and the monthly per-department report (EXP-19): pages, xlsx and PDF. The report's
data scope travels into the SQL (monthly_report.report), so page, xlsx and PDF show the same departments."""
from __future__ import annotations

from datetime import date

from litestar import Request, Response, get

from app.core import exports, pdf
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, render
from app.experts import monthly_report, stats

BASE = "/admin/experts/stats"
GUARD = [requires("exp.stats.view")]


@get(BASE, guards=GUARD)
async def stats_page(request: Request) -> Response:
    return await render(request, "experts/admin/stats.html", data=await stats.overview(),
                        month=monthly_report.last_month().code)


@get(f"{BASE}/export.xlsx", guards=GUARD)
async def stats_export(request: Request) -> Response:
    columns, rows = stats.export_rows(await stats.overview())
    viewer = request.scope["user"]
    return exports.export_response(f"{_('Expert statistics')}-{date.today().isoformat()}.xlsx", columns, rows,
                                   "xlsx", viewer=viewer, watermark=exports.watermark_text(viewer))


async def _report(request: Request) -> tuple[dict | None, str]:
    raw = request.query_params.get("month") or ""
    try:
        month = monthly_report.parse_month(raw)
    except Invalid as exc:
        return None, exc.message
    return await monthly_report.report(actor(request), month), ""


@get(f"{BASE}/monthly", guards=GUARD)
async def monthly_page(request: Request) -> Response:
    data, error = await _report(request)
    if data is None:
        data = await monthly_report.report(actor(request), monthly_report.last_month())
    return await render(request, "experts/admin/monthly_report.html", data=data, error=error,
                        typed=request.query_params.get("month") or data["month"].code,
                        series=monthly_report.chart_series(data), legend=monthly_report.chart_legend(),
                        status=422 if error else 200, block="results")


@get(f"{BASE}/monthly.xlsx", guards=GUARD)
async def monthly_xlsx(request: Request) -> Response:
    data, error = await _report(request)
    if data is None:
        return Response(error, status_code=400, media_type="text/plain")
    columns, rows = monthly_report.export_rows(data)
    viewer = request.scope["user"]
    return exports.export_response(_("Expert use by department %(month)s.xlsx", month=data["month"].code), columns,
                                   rows, "xlsx", viewer=viewer, watermark=exports.watermark_text(viewer))


@get(f"{BASE}/monthly.pdf", guards=GUARD)
async def monthly_pdf(request: Request) -> Response:
    data, error = await _report(request)
    if data is None:
        return Response(error, status_code=400, media_type="text/plain")
    viewer = request.scope["user"]
    document = await pdf.render_pdf_async("experts/monthly_report.html", data=data,
                                          series=monthly_report.chart_series(data),
                                          legend=monthly_report.chart_legend(), figures=monthly_report.FIGURES,
                                          watermark_text=exports.watermark_text(viewer),
                                          printed=date.today().isoformat())
    return pdf.pdf_response(_("Expert use by department %(month)s.pdf", month=data["month"].code), document)


ROUTES = [stats_page, stats_export, monthly_page, monthly_xlsx, monthly_pdf]

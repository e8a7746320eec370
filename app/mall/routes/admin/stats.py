"""Mall statistics page and its xlsx export (MALL-10)."""
from __future__ import annotations

from litestar import Request, Response, get

from app.core import audit, exports
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, render
from app.mall import stats


@get("/admin/mall/stats", guards=[requires("mall.stats.view")])
async def stats_page(request: Request) -> Response:
    who = actor(request)
    period = stats.Period.from_query(request.query_params)
    series = await stats.by_period(who, period)
    return await render(request, "mall/admin/stats.html", period=period, overview=await stats.overview(who, period),
                        statuses=await stats.by_status(who, period), series=series,
                        top=await stats.top_products(who, period),
                        orders_series=[{"label": r["label"], "value": r["orders"]} for r in series],
                        points_series=[{"label": r["label"], "value": r["points"]} for r in series])


@get("/admin/mall/stats/export", guards=[requires("mall.stats.export")])
async def stats_export(request: Request) -> Response:
    """The period series (or the top products with ?what=products) as xlsx; the export is audited."""
    who = actor(request)
    period = stats.Period.from_query(request.query_params)
    if request.query_params.get("what") == "products":
        rows = await stats.top_products(who, period, limit=1000)
        columns = [("name", _("Product")), ("qty", _("Quantity sold")), ("orders", _("Orders")),
                   ("points", _("Points"))]
    else:
        rows = await stats.by_period(who, period)
        for row in rows:
            row["cash_yuan"] = round(row["cash"] / 100, 2)
        columns = [("period", _("Period")), ("orders", _("Orders")), ("points", _("Points")),
                   ("cash_yuan", _("Cash (yuan)"))]
    await audit.record(who, "export", "mall_stats", "", summary=f"{period.start}..{period.end}")
    name = f"mall-stats-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return exports.export_response(name, columns, rows, "xlsx", viewer=request.scope["user"])


ROUTES = [stats_page, stats_export]

"""Statistics page (SMS-07): sent / success / failure / pending and success rate per month of a year or
per year, per account or channel; SVG charts (no JS) and an xlsx export of the same table. Figures come
from the daily rollup, so the page states how fresh they are."""
from __future__ import annotations

from datetime import date

from litestar import Request, Response, get

from app.core import exports, sqlfilter
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, render
from app.sms import accounts, stats

GUARD = [requires("sms.stats.view")]


async def _stats(request: Request) -> tuple[dict, dict]:
    params = request.query_params
    year = sqlfilter.number(params, "year") or date.today().year
    year = min(max(year, 2000), 2100)
    opts = {"period": sqlfilter.choice(params, "period", ("month", "year")) or "month", "year": year,
            "by": sqlfilter.choice(params, "by", stats.GROUPS) or "account",
            "account_id": sqlfilter.number(params, "account")}
    return opts, await stats.sms_stats(actor(request), **opts)


@get("/admin/sms/stats", guards=GUARD)
async def stats_page(request: Request) -> Response:
    opts, data = await _stats(request)
    choices = await accounts.choices(actor(request))
    years = [(str(y), str(y)) for y in range(date.today().year, date.today().year - 6, -1)]
    refreshed = data["refreshed_at"].astimezone().strftime("%Y-%m-%d %H:%M") if data["refreshed_at"] else ""
    return await render(request, "sms/admin/stats.html", opts=opts, data=data, years=years, refreshed=refreshed,
                        refresh_minutes=stats.REFRESH_SECONDS // 60,
                        account_options=[(a["id"], a["name"]) for a in choices], block="results")


@get("/admin/sms/stats/export", guards=GUARD)
async def stats_export(request: Request) -> Response:
    opts, data = await _stats(request)
    columns = [("period", _("Period")), ("grp", _("Account") if opts["by"] == "account" else _("Channel")),
               ("sent", _("Sent")), ("success", _("Success")), ("failure", _("Failure")), ("pending", _("Pending")),
               ("rate", _("Success rate (%)"))]
    return exports.export_response(_("sms-statistics"), columns, data["rows"], "xlsx", viewer=request.scope["user"],
                                   watermark=exports.watermark_text(request.scope["user"]))


ROUTES = [stats_page, stats_export]

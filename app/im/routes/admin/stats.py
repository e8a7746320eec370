"""Messenger statistics (IM-11): new and active users, groups, 1:1 and group messages, senders, online now."""
from __future__ import annotations

from litestar import Request, Response, get

from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import int_param, render
from app.im import governance


@get("/admin/im/stats", guards=[requires("im.admin")])
async def stats(request: Request) -> Response:
    days = int_param(request.query_params.get("days"), 1, 366) or 30
    figures = await governance.usage(days)
    series = [{"label": f"{r['day']:%m-%d}", "values": [r["messages"], r["senders"]]} for r in figures["daily"]]
    return await render(request, "im/admin/stats.html", f=figures, series=series,
                        legend=[_("Messages"), _("Senders")])


ROUTES = [stats]

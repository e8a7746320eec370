"""The alumnus's points page on the phone (H5): balance, level with icon and progress to the next one,
their points history with paging, and how to earn more (the enabled rules). Plain links, no JS needed."""
from __future__ import annotations

from litestar import Request, Response, get

from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import login_required
from app.core.web import actor, render
from app.points import ledger


@get("/h5/points", guards=[login_required])
async def h5_points(request: Request) -> Response:
    mine = await ledger.my_points(actor(request), PageRequest.from_query(request.query_params))
    return await render(request, "points/h5/balance.html", **mine, kind_labels=ledger.KIND_LABELS,
                        share_title=_("My points"),
                        block="history")


ROUTES = [h5_points]

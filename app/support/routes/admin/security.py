"""Login security (SUP-12): login log, statistics, current blocks with audited unblock."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import charts
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, redirect, render
from app.support import login_security


@get("/admin/security/logins", guards=[requires("sup.security.view")])
async def login_log(request: Request) -> Response:
    filters = login_security.LogFilters.from_query(request.query_params)
    page = await login_security.list_logins(filters, PageRequest.from_query(request.query_params, default_sort="-at"))
    return await render(request, "support/admin/security_logins.html", page=page, filters=filters, block="results",
                        tab="logins")


@get("/admin/security/stats", guards=[requires("sup.security.view")])
async def login_stats(request: Request) -> Response:
    # The chart helpers are handed to the template until web.make_environment() registers them globally.
    return await render(request, "support/admin/security_stats.html", stats=await login_security.login_stats(),
                        tab="stats", **charts.TEMPLATE_GLOBALS)


@get("/admin/security/blocks", guards=[requires("sup.security.view")])
async def block_list(request: Request) -> Response:
    page = await login_security.list_blocks(PageRequest.from_query(request.query_params))
    return await render(request, "support/admin/security_blocks.html", page=page, tab="blocks", block="results")


@get("/admin/security/blocks/{block_id:int}/unblock", guards=[requires("sup.security.unblock")])
async def unblock_confirm(request: Request, block_id: int) -> Response:
    block = await login_security.get_block(block_id)
    if block is None:
        raise NotFoundException()
    return await confirm_page(request, title=_("Lift login block"),
                              message=_("Lift the block on %(key)s now? Logins from it are allowed again at once.",
                                        key=block["key"]),
                              action=f"/admin/security/blocks/{block_id}/unblock", cancel="/admin/security/blocks")


@post("/admin/security/blocks/{block_id:int}/unblock", guards=[requires("sup.security.unblock")])
async def unblock(request: Request, block_id: int) -> Response:
    try:
        row = await login_security.unblock(actor(request), block_id)
    except Conflict as exc:
        return redirect(request, "/admin/security/blocks", str(exc), "error")
    return redirect(request, "/admin/security/blocks", _("Block on %(key)s lifted.", key=row["key"]))


ROUTES = [login_log, login_stats, block_list, unblock_confirm, unblock]

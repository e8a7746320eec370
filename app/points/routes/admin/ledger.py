"""Points ledger admin (MALL-02): filtered, paged list; xlsx/csv export of the filtered rows (audited,
watermarked); one user's page with balance, level, consistency check and their ledger."""
from __future__ import annotations

from datetime import datetime

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from app.core import audit, exports, sqlfilter
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, render
from app.points import ledger

VIEW = [requires("pts.ledger.view")]
BASE = "/admin/points/ledger"
MASK = {"user_name": "name"}


@get(BASE, guards=VIEW)
async def ledger_list(request: Request) -> Response:
    params = request.query_params
    filters = ledger.LedgerFilters.from_query(params)
    page = await ledger.list_entries(actor(request), filters, PageRequest.from_query(params))
    return await render(request, "points/admin/ledger.html", page=page, filters=filters, errors=dict(filters.errors),
                        kinds=list(ledger.KIND_LABELS.items()), kind_labels=ledger.KIND_LABELS,
                        actions=await ledger.actions(), block="results")


@get(f"{BASE}/export", guards=[requires("pts.ledger.export")])
async def ledger_export(request: Request) -> Response:
    act, viewer = actor(request), request.scope["user"]
    filters = ledger.LedgerFilters.from_query(request.query_params)
    fmt = "csv" if request.query_params.get("fmt") == "csv" else "xlsx"
    rows = await exports.collect_pages(lambda page: ledger.list_entries(act, filters, page),
                                       sort=request.query_params.get("sort") or "")
    await audit.record(act, "export", "pts_ledger", "", summary=f"{len(rows)} rows, {fmt}, filters: {filters}")
    name = _("points-ledger-%(date)s", date=datetime.now().strftime("%Y%m%d-%H%M"))
    return exports.export_response(name, [(k, str(label)) for k, label in ledger.EXPORT_COLUMNS],
                                   (ledger.export_row(r) for r in rows), fmt, viewer, MASK,
                                   exports.watermark_text(viewer))


@get(f"{BASE}/users", guards=VIEW)
async def user_search(request: Request) -> Response:
    q = sqlfilter.text(request.query_params, "q")
    return await render(request, "points/admin/user_search.html", q=q, users=await ledger.find_users(actor(request), q),
                        block="results")


@get(f"{BASE}/users/{{user_id:int}}", guards=VIEW)
async def user_ledger(request: Request, user_id: int) -> Response:
    act = actor(request)
    try:
        summary = await ledger.user_summary(act, user_id)
    except ledger.NotFound:
        raise NotFoundException() from None
    page = await ledger.list_entries(act, ledger.LedgerFilters(user=user_id),
                                     PageRequest.from_query(request.query_params))
    return await render(request, "points/admin/user.html", member=summary, page=page, kind_labels=ledger.KIND_LABELS,
                        block="results")


ROUTES = [ledger_list, ledger_export, user_search, user_ledger]

"""Records pages (SMS-05): search, message detail with its timeline, failed-number export, one-click
resend of the failed messages of a search or a batch (confirm page first)."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import exports, sqlfilter
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, redirect, render
from app.sms import accounts, labels, records

GUARD = [requires("sms.record.view")]
BASE = "/admin/sms/records"
FILTER_KEYS = ("phone", "batch", "status", "account", "q", "from", "to")


def _filter_qs(request: Request) -> str:
    """The search part of the query string (without paging), kept across export/resend links."""
    return urlencode([(k, v) for k, v in request.query_params.items() if k in FILTER_KEYS and v])


@get(BASE, guards=GUARD)
async def record_list(request: Request) -> Response:
    f, errors = records.RecordFilter.from_query(request.query_params)
    page = await records.search(actor(request), f, before=sqlfilter.number(request.query_params, "before"))
    return await render(request, "sms/admin/records.html", page=page, errors=errors, statuses=records.STATUSES,
                        account_options=[(a["id"], a["name"]) for a in await accounts.choices(actor(request))],
                        qs=_filter_qs(request), block="results")


@get(f"{BASE}/{{message_id:int}}", guards=GUARD)
async def record_detail(request: Request, message_id: int) -> Response:
    try:
        m = await records.get_message(actor(request), message_id)
    except accounts.NotFound:
        raise NotFoundException() from None
    return await render(request, "sms/admin/record_detail.html", m=m, steps=records.timeline(m),
                        statuses=records.STATUSES, ids=await records.channel_ids(message_id), labels=labels)


@get(f"{BASE}/failed-export", guards=[requires("sms.record.view", "sms.record.export")])
async def failed_export(request: Request) -> Response:
    f, _errors = records.RecordFilter.from_query(request.query_params)
    rows = await records.failed_rows(actor(request), f)
    columns = [("phone", _("Mobile number")), ("batch", _("Send")), ("account_name", _("Account")),
               ("status", _("Status")), ("reason", _("Reason")), ("receipt_status", _("Receipt")),
               ("created_at", _("Time")), ("text", _("Text"))]
    for r in rows:
        r["status"] = str(records.STATUSES.get(r["status"], r["status"]))
    fmt = "csv" if request.query_params.get("format") == "csv" else "xlsx"
    return exports.export_response(_("failed-numbers"), columns, rows, fmt, viewer=request.scope["user"],
                                   watermark=exports.watermark_text(request.scope["user"]))


@get(f"{BASE}/resend", guards=GUARD + [requires("sms.console.send")])
async def resend_confirm(request: Request) -> Response:
    f, _errors = records.RecordFilter.from_query(request.query_params)
    n = await records.count_failed(actor(request), f)
    qs = _filter_qs(request)
    back = f"{BASE}?{qs}" if qs else BASE
    if not n:
        return redirect(request, back, _("There are no failed messages to resend in this search."), "error")
    message = (_("Resend the %(n)s failed messages of this search as a new send? Their segments are charged again.",
                 n=n) if n <= records.MAX_RESEND else
               _("This search has more than %(n)s failed messages; the first %(n)s are resent as a new send.",
                 n=records.MAX_RESEND))
    return await confirm_page(request, _("Resend failed messages"), message, f"{BASE}/resend?{qs}", back)


@post(f"{BASE}/resend", guards=GUARD + [requires("sms.console.send")])
async def resend(request: Request) -> Response:
    f, _errors = records.RecordFilter.from_query(request.query_params)
    qs = _filter_qs(request)
    try:
        result = await records.resend_failed(actor(request), f)
    except Invalid as exc:
        return redirect(request, f"{BASE}?{qs}" if qs else BASE, exc.message, "error")
    return redirect(request, f"/admin/sms/batches/{result.batch_id}",
                    _("Resent %(n)s failed numbers as a new send.", n=result.accepted))


ROUTES = [record_list, failed_export, resend_confirm, resend, record_detail]

"""Console send (SMS-03): the send form → preview (numbers, segments, cost vs balance) → send; the live
segment counter; scheduled sends with cancel; a send's (batch's) summary page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.sms import accounts, console, contacts, labels, records

GUARD = [requires("sms.console.send")]
BASE = "/admin/sms/send"
BATCHES = "/admin/sms/batches"
BATCH_STATUSES = ("scheduled", "queued", "done", "cancelled")


async def _form(request: Request, data: dict, errors: dict | None = None, status: int = 200) -> Response:
    who = actor(request)
    account = await accounts.resolve(who, data.get("account"))
    tpls = await console.approved_templates(account["id"]) if account else []
    return await render(request, "sms/admin/send.html", data=data, errors=errors or {}, status=status, account=account,
                        account_choices=await accounts.choices(who), templates=tpls,
                        groups=await contacts.group_choices(who), count=console.counter(data.get("text") or ""))


@get(BASE, guards=GUARD)
async def send_form(request: Request) -> Response:
    params = request.query_params
    data = {"account": params.get("account") or "", "mode": "template" if params.get("template") else "text",
            "template": params.get("template") or "", "to": params.get("to") or "", "when": "now",
            "text": params.get("text") or ""}  # a prefilled text: e.g. a micro-page's link (SMS-12)
    return await _form(request, data)


@get("/admin/sms/segments", guards=[requires("sms.console.send")])
async def segment_counter(request: Request) -> Response:
    """The live counter under a text box (htmx, on keyup); the preview shows the same without JS."""
    text = request.query_params.get("text") or request.query_params.get("content") or ""
    # htmx swaps only the counter; a plain request gets a small counter page (every URL is a page)
    return await render(request, "sms/admin/segments.html", block="counter", count=console.counter(text), text=text)


@post(f"{BASE}/preview", guards=GUARD)
async def send_preview(request: Request) -> Response:
    data = await form_data(request)
    try:
        d = await console.draft(actor(request), data)
    except Invalid as exc:
        return await _form(request, data, {exc.field or "__all__": exc.message}, 422)
    return await render(request, "sms/admin/send_preview.html", data=data, d=d, count=console.counter(d.text))


@post(BASE, guards=GUARD)
async def send_submit(request: Request) -> Response:
    data = await form_data(request)
    if data.get("edit"):  # "Back to the form" on the preview keeps everything typed
        return await _form(request, data)
    try:
        _d, result = await console.send(actor(request), data)
    except Invalid as exc:
        return await _form(request, data, {exc.field or "__all__": exc.message}, 422)
    message = _("Send queued: %(n)s numbers, %(segments)s messages charged.", n=result.accepted,
                segments=result.cost)
    return redirect(request, f"{BATCHES}/{result.batch_id}", message)


@get(BATCHES, guards=GUARD)
async def batch_list(request: Request) -> Response:
    tab = request.query_params.get("status", "scheduled")  # "" = every send
    tab = tab if tab in BATCH_STATUSES else ""
    page = await console.scheduled_batches(actor(request), PageRequest.from_query(request.query_params), tab)
    return await render(request, "sms/admin/batches.html", page=page, tab=tab, statuses=BATCH_STATUSES, labels=labels,
                        block="results")


async def _batch(request: Request, batch_id: int) -> dict:
    try:
        return await console.get_batch(actor(request), batch_id)
    except accounts.NotFound:
        raise NotFoundException() from None


@get(f"{BATCHES}/{{batch_id:int}}", guards=[requires("sms.record.view")])
async def batch_detail(request: Request, batch_id: int) -> Response:
    batch = await _batch(request, batch_id)
    return await render(request, "sms/admin/batch_detail.html", batch=batch, labels=labels,
                        counts=await records.batch_counts(batch_id))


@get(f"{BATCHES}/{{batch_id:int}}/cancel", guards=GUARD)
async def batch_cancel_confirm(request: Request, batch_id: int) -> Response:
    batch = await _batch(request, batch_id)
    return await confirm_page(request, _("Cancel scheduled send"),
                              _("Cancel the send of %(n)s messages scheduled for %(time)s? The messages are refunded.",
                                n=batch["accepted"], time=batch["scheduled_at"].astimezone().strftime("%Y-%m-%d %H:%M")
                                if batch["scheduled_at"] else "—"),
                              f"{BATCHES}/{batch_id}/cancel", f"{BATCHES}/{batch_id}")


@post(f"{BATCHES}/{{batch_id:int}}/cancel", guards=GUARD)
async def batch_cancel(request: Request, batch_id: int) -> Response:
    await _batch(request, batch_id)
    try:
        n = await console.cancel(actor(request), batch_id)
    except Conflict as exc:
        return redirect(request, f"{BATCHES}/{batch_id}", str(exc), "error")
    return redirect(request, f"{BATCHES}/{batch_id}", _("Scheduled send cancelled: %(n)s messages refunded.", n=n))


ROUTES = [send_form, segment_counter, send_preview, send_submit, batch_list, batch_detail, batch_cancel_confirm,
          batch_cancel]

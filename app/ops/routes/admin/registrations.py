"""An event's registrations on the desktop (OPS-02): the list (status incl. checked in, search by name, phone or
code, paging), a registration's answers, approve / reject (with a reason) of waiting ones, cancel, and bulk
check-in of the ticked rows at the desk."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core import exports
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import checkin, custom_forms, registrations
from app.ops.routes import service_errors
from app.ops.routes.admin import BASE, GUARD, event_ctx, managed_event


def _url(event_id: int) -> str:
    return f"{BASE}/{event_id}/registrations"


@get(f"{BASE}/{{event_id:int}}/registrations", guards=GUARD)
async def registration_list(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    params = request.query_params
    page = await registrations.list_registrations(actor(request), event_id, status=params.get("status") or "",
                                                  q=(params.get("q") or "").strip()[:100],
                                                  req=PageRequest.from_query(params))
    return await render(request, "ops/admin/registrations.html", page=page, reg_statuses=registrations.STATUSES,
                        counts=await registrations.counts(event_id), block="results",
                        **event_ctx(event, "registrations"))


@get(f"{BASE}/{{event_id:int}}/registrations/{{registration_id:int}}", guards=GUARD)
async def registration_detail(request: Request, event_id: int, registration_id: int) -> Response:
    event = await managed_event(request, event_id)
    with service_errors():
        row = await registrations.get_registration(actor(request), registration_id)
    if row["event"] != event_id:
        return redirect(request, _url(event_id))
    answers = custom_forms.display(await custom_forms.questions(event["form"]),
                                   await custom_forms.response(row["response"]))
    return await render(request, "ops/admin/registration.html", reg=row, answers=answers, error="",
                        **event_ctx(event, "registrations"))


@post(f"{BASE}/{{event_id:int}}/registrations/{{registration_id:int}}/decide", guards=GUARD)
async def registration_decide(request: Request, event_id: int, registration_id: int) -> Response:
    event = await managed_event(request, event_id)
    data = await form_data(request)
    approve = data.get("decision") == "approve"
    try:
        with service_errors():
            await registrations.decide(actor(request), registration_id, approve, data.get("reason") or "")
    except Invalid as exc:
        row = await registrations.get_registration(actor(request), registration_id)
        answers = custom_forms.display(await custom_forms.questions(event["form"]),
                                       await custom_forms.response(row["response"]))
        return await render(request, "ops/admin/registration.html", reg=row, answers=answers, error=exc.message,
                            status=422, **event_ctx(event, "registrations"))
    except Conflict as exc:
        return redirect(request, _url(event_id), str(exc), "error")
    return redirect(request, _url(event_id), _("Registration approved.") if approve else _("Registration rejected."))


@get(f"{BASE}/{{event_id:int}}/registrations/{{registration_id:int}}/cancel", guards=GUARD)
async def registration_cancel_confirm(request: Request, event_id: int, registration_id: int) -> Response:
    await managed_event(request, event_id)
    return await confirm_page(request, _("Cancel registration"),
                              _("Cancel this registration? Its place goes to the first person waiting."),
                              f"{BASE}/{event_id}/registrations/{registration_id}/cancel", _url(event_id))


@post(f"{BASE}/{{event_id:int}}/registrations/{{registration_id:int}}/cancel", guards=GUARD)
async def registration_cancel(request: Request, event_id: int, registration_id: int) -> Response:
    await managed_event(request, event_id)
    try:
        with service_errors():
            await registrations.cancel(actor(request), registration_id)
    except Conflict as exc:
        return redirect(request, _url(event_id), str(exc), "error")
    return redirect(request, _url(event_id), _("Registration cancelled."))


@post(f"{BASE}/{{event_id:int}}/registrations/checkin", guards=GUARD)
async def bulk_checkin(request: Request, event_id: int) -> Response:
    await managed_event(request, event_id)
    ids = (await form_data(request)).get("ids") or []
    ids = [int(i) for i in (ids if isinstance(ids, list) else [ids]) if str(i).isdigit()]
    if not ids:
        return redirect(request, _url(event_id), _("Tick the people to check in."), "error")
    with service_errors():
        count = await checkin.bulk(actor(request), event_id, ids)
    return redirect(request, _url(event_id), _("%(n)s checked in.", n=count))


@get(f"{BASE}/{{event_id:int}}/registrations/export", guards=GUARD)
async def registration_export(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    with service_errors():
        columns, rows = await registrations.export_rows(actor(request), event_id)
    who = actor(request)
    return exports.export_response(f"{event['title']}-报名.xlsx", columns, rows, request.query_params.get("format",
                                   "xlsx"), viewer=who, mask={"phone": "phone"},
                                   watermark=exports.watermark_text(who))


ROUTES = [registration_export, registration_list, registration_detail, registration_decide, registration_cancel_confirm,
          registration_cancel, bulk_checkin]

"""An event's seating and printables on the desktop (OPS-02): the seat map (tables or numbered seats), allocation
of everyone without a seat (optionally keeping people with the same answer together), a seat by ticket code by
hand, clearing behind a confirm page; name badges and the sign-in sheet as PDFs."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core import pdf
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import printing, seating
from app.ops.routes import service_errors
from app.ops.routes.admin import BASE, GUARD, event_ctx, managed_event


def _url(event_id: int) -> str:
    return f"{BASE}/{event_id}/seating"


async def _page(request: Request, event: dict, data: dict | None = None, errors: dict | None = None,
                status: int = 200) -> Response:
    return await render(request, "ops/admin/seating.html", seat_map=await seating.seat_map(event["id"]),
                        group_choices=await seating.group_choices(event), data=data or {}, errors=errors or {},
                        label=seating.label, status=status, **event_ctx(event, "seating"))


@get(f"{BASE}/{{event_id:int}}/seating", guards=GUARD)
async def seating_page(request: Request, event_id: int) -> Response:
    return await _page(request, await managed_event(request, event_id))


@post(f"{BASE}/{{event_id:int}}/seating/allocate", guards=GUARD)
async def seating_allocate(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    data = await form_data(request)
    try:
        with service_errors():
            seated = await seating.allocate(actor(request), event_id, data.get("group_by") or "")
    except Invalid as exc:
        return await _page(request, event, data, {exc.field: exc.message}, 422)
    except Conflict as exc:
        return redirect(request, _url(event_id), str(exc), "error")
    return redirect(request, _url(event_id), _("%(n)s people seated.", n=seated))


@post(f"{BASE}/{{event_id:int}}/seating/assign", guards=GUARD)
async def seating_assign(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    data = await form_data(request)
    try:
        with service_errors():
            await seating.assign(actor(request), event_id, data.get("code") or "", data.get("seat") or "")
    except Invalid as exc:
        return await _page(request, event, data, {exc.field: exc.message}, 422)
    except Conflict as exc:
        return redirect(request, _url(event_id), str(exc), "error")
    return redirect(request, _url(event_id), _("Seat saved."))


@get(f"{BASE}/{{event_id:int}}/seating/clear", guards=GUARD)
async def seating_clear_confirm(request: Request, event_id: int) -> Response:
    await managed_event(request, event_id)
    return await confirm_page(request, _("Clear all seats"), _("Take every seat of this event away? Printed badges "
                              "and sheets will no longer match."), f"{BASE}/{event_id}/seating/clear", _url(event_id))


@post(f"{BASE}/{{event_id:int}}/seating/clear", guards=GUARD)
async def seating_clear(request: Request, event_id: int) -> Response:
    await managed_event(request, event_id)
    with service_errors():
        cleared = await seating.clear(actor(request), event_id)
    return redirect(request, _url(event_id), _("%(n)s seats cleared.", n=cleared))


@get(f"{BASE}/{{event_id:int}}/badges.pdf", guards=GUARD)
async def badges(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    with service_errors():
        data = await printing.badges_pdf(actor(request), event_id)
    return pdf.pdf_response(_("Name badges") + f" {event['title']}.pdf", data)


@get(f"{BASE}/{{event_id:int}}/signin-sheet.pdf", guards=GUARD)
async def signin_sheet(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    with service_errors():
        data = await printing.signin_sheet_pdf(actor(request), event_id)
    return pdf.pdf_response(_("Sign-in sheet") + f" {event['title']}.pdf", data)


ROUTES = [seating_page, seating_allocate, seating_assign, seating_clear_confirm, seating_clear, badges, signin_sheet]

"""My e-tickets on the phone (OPS-02): my registrations (paged) and one ticket — the event, the ticket type, the
status, the code in big letters and, once confirmed, the QR the door scans; cancel with a confirm step (a page
without JS, hx-confirm with it). Another person's ticket is 404."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.web import actor, redirect, render
from app.ops import registrations
from app.ops.routes import service_errors
from app.ops.routes.h5 import H5, h5_confirm


async def _own(request: Request, registration_id: int) -> dict:
    with service_errors():
        return await registrations.get_registration(actor(request), registration_id)


@get("/h5/tickets", guards=H5)
async def ticket_list(request: Request) -> Response:
    page = await registrations.my_registrations(actor(request).id, PageRequest.from_query(request.query_params))
    return await render(request, "ops/h5/tickets.html", page=page, share_title=_("My tickets"))


@get("/h5/tickets/{registration_id:int}", guards=H5)
async def ticket_detail(request: Request, registration_id: int) -> Response:
    reg = await _own(request, registration_id)
    token = registrations.ticket_token(reg) if reg["status"] == "confirmed" else ""
    return await render(request, "ops/h5/ticket.html", reg=reg, token=token,
                        cancellable=reg["status"] in registrations.ACTIVE and not reg["checked_in_at"],
                        share_title=reg["event_title"])


@get("/h5/tickets/{registration_id:int}/cancel", guards=H5)
async def cancel_confirm(request: Request, registration_id: int) -> Response:
    reg = await _own(request, registration_id)
    return await h5_confirm(request, _("Cancel registration"),
                            _("Give up your place at “%(title)s”? It goes to the first person waiting.",
                              title=reg["event_title"]),
                            f"/h5/tickets/{registration_id}/cancel", f"/h5/tickets/{registration_id}")


@post("/h5/tickets/{registration_id:int}/cancel", guards=H5)
async def cancel(request: Request, registration_id: int) -> Response:
    await _own(request, registration_id)
    try:
        with service_errors():
            await registrations.cancel(actor(request), registration_id)
    except Conflict as exc:
        return redirect(request, f"/h5/tickets/{registration_id}", str(exc), "error")
    return redirect(request, f"/h5/tickets/{registration_id}", _("Registration cancelled."))


ROUTES = [ticket_list, ticket_detail, cancel_confirm, cancel]

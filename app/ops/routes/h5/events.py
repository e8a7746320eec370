"""Events on the phone (OPS-02, OPS-03, CLS-05): the published upcoming events (by category, paged), an event's
page (time, place, description, ticket types with places left, my registrations, share card) and signup with
the event's own form (every question kind, uploads included; conditional questions hidden by
static/js/ops-forms.js when JS runs, shown with their condition when not)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Form
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.web import actor, form_data, int_param, redirect, render
from app.ops import custom_forms, registrations, tickets
from app.ops import events as event_service
from app.ops.routes import service_errors
from app.ops.routes.h5 import H5, share, visible_event
from app.points import api as points

SIGNED_UP = {"confirmed": L("You are registered: your e-ticket is below."),
             "waitlisted": L("The event is full: you are on the waiting list. We tell you when a place frees."),
             "pending": L("Registration received: it waits for the organisers' approval."),
             "unpaid": L("Your place is held: pay now to confirm it.")}


@get("/h5/events", guards=H5)
async def event_list(request: Request) -> Response:
    params = request.query_params
    category = int_param(params.get("category"), 1)
    page = await event_service.list_events(status="published", category=category, upcoming=True,
                                           req=PageRequest.from_query(params))
    return await render(request, "ops/h5/events.html", page=page, category=category,
                        categories=await event_service.categories(enabled_only=True), share_title=_("Events"))


@get("/h5/events/{event_id:int}", guards=H5)
async def event_detail(request: Request, event_id: int) -> Response:
    event = await visible_event(request, event_id)
    return await render(request, "ops/h5/event.html", event=event, tickets=await tickets.ticket_types(event_id),
                        mine=await registrations.mine_for_event(actor(request).id, event_id), **share(event))


async def _ticket(event_id: int, ticket_id: int | None) -> dict:
    found = next((t for t in await tickets.ticket_types(event_id) if t["id"] == ticket_id), None)
    if found is None:
        raise NotFoundException()
    return found


async def _signup_page(request: Request, event: dict, ticket: dict, form: Form | None = None, error: str = "",
                       status: int = 200) -> Response:
    questions = await custom_forms.questions(event["form"])
    form = form or Form(custom_forms.core_fields(questions))
    conditions = {f"q_{q.key}": {"field": f"q_{q.show_if['field']}", "values": q.show_if.get("values") or []}
                  for q in questions if q.show_if}
    kinds = {f"q_{q.key}": q.kind for q in questions}
    return await render(request, "ops/h5/signup.html", event=event, ticket=ticket, form=form, conditions=conditions,
                        kinds=kinds, error=error, status=status, **share(event))


@get("/h5/events/{event_id:int}/signup", guards=H5)
async def signup_form(request: Request, event_id: int) -> Response:
    event = await visible_event(request, event_id)
    ticket = await _ticket(event_id, int_param(request.query_params.get("ticket")))
    return await _signup_page(request, event, ticket)


async def _answers(request: Request) -> dict:
    """The posted form with each upload read into a custom_forms.Upload (an empty file input is no answer)."""
    data = await form_data(request)
    for key, value in list(data.items()):
        if hasattr(value, "filename") and hasattr(value, "read"):
            data[key] = custom_forms.Upload(value.filename, await value.read()) if value.filename else None
    return data


@post("/h5/events/{event_id:int}/signup", guards=H5)
async def signup(request: Request, event_id: int) -> Response:
    event = await visible_event(request, event_id)
    data = await _answers(request)
    ticket = await _ticket(event_id, int_param(data.pop("ticket", None) or request.query_params.get("ticket")))
    try:
        with service_errors():
            done = await registrations.signup(actor(request), event_id, ticket["id"], data)
    except registrations.FormErrors as exc:
        return await _signup_page(request, event, ticket, exc.form, status=422)
    except (Conflict, points.InsufficientPoints) as exc:
        message = str(exc) if isinstance(exc, Conflict) else \
            _("You do not have enough points for this ticket (%(n)s points).", n=ticket["price"])
        questions = await custom_forms.questions(event["form"])
        return await _signup_page(request, event, ticket, Form(custom_forms.core_fields(questions), data=data),
                                  message, status=422)
    target = f"/pay/local/ops/{done.registration_id}" if done.status == "unpaid" else \
        f"/h5/tickets/{done.registration_id}"
    return redirect(request, target, str(SIGNED_UP[done.status]))


ROUTES = [event_list, event_detail, signup_form, signup]

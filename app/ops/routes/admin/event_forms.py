"""An event's ticket types and signup form on the desktop (OPS-02): add, change and delete ticket types (quota,
sale window, per-person limit, free, paid or points), and the form builder — questions of every kind, required,
options, skip logic ("ask only when …"), moved up or down, deleted behind a confirm page."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import custom_forms, tickets
from app.ops.routes import service_errors
from app.ops.routes.admin import BASE, GUARD, event_ctx, managed_event

TICKET_FIELDS = [
    Field("name", L("Ticket type"), required=True, max_length=100),
    Field("kind", L("Kind"), "select", required=True, choices=list(tickets.KINDS.items())),
    Field("price", L("Points (points tickets)"), "int", min_value=0, max_value=1_000_000),
    Field("price_yuan", L("Price in yuan (paid tickets)"), max_length=12),
    Field("quota", L("Places"), "int", required=True, min_value=1, max_value=tickets.QUOTA_MAX),
    Field("per_person", L("Per person at most"), "int", required=True, min_value=1, max_value=20),
    Field("sale_starts", L("On sale from"), "datetime"),
    Field("sale_ends", L("On sale until"), "datetime"),
]


def question_fields(earlier: list[custom_forms.Question]) -> list[Field]:
    choice_keys = [(q.key, q.label) for q in earlier if q.kind in custom_forms.CHOICE_KINDS + ("agreement",)]
    return [
        Field("label", L("Question"), required=True, max_length=200),
        Field("key", L("Key"), required=True, max_length=40,
              help=L("Lower-case letters, digits and _; used in exports.")),
        Field("kind", L("Kind"), "select", required=True, choices=list(custom_forms.KINDS.items())),
        Field("required", L("Required"), "checkbox"),
        Field("options", L("Options (one per line)"), "textarea", max_length=5000),
        Field("help", L("Help text"), max_length=300),
        Field("show_if_field", L("Ask only when this question …"), "select", choices=choice_keys),
        Field("show_if_values", L("… has one of these answers (one per line; “yes” for an agreement)"), "textarea",
              max_length=2000),
    ]


async def _page(request: Request, event: dict, *, ticket_form: Form | None = None,
                question_form: Form | None = None, status: int = 200) -> Response:
    items = await custom_forms.questions(event["form"])
    return await render(request, "ops/admin/setup.html", ticket_types=await tickets.ticket_types(event["id"]),
                        questions=items, by_key={q.key: q for q in items}, kinds=list(tickets.KINDS.items()),
                        ticket_form=ticket_form or Form(TICKET_FIELDS, data={"kind": "free", "quota": "100",
                                                                             "per_person": "1"}),
                        question_form=question_form or Form(question_fields(items), data={"kind": "text"}),
                        status=status, **event_ctx(event, "setup"))


def _url(event_id: int) -> str:
    return f"{BASE}/{event_id}/setup"


@get(f"{BASE}/{{event_id:int}}/setup", guards=GUARD)
async def setup_page(request: Request, event_id: int) -> Response:
    return await _page(request, await managed_event(request, event_id))


@post(f"{BASE}/{{event_id:int}}/tickets", guards=GUARD)
async def ticket_save(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    data = await form_data(request)
    form = Form(TICKET_FIELDS, data=data)
    ticket_id = int(data["id"]) if str(data.get("id") or "").isdigit() else None
    if form.validate():
        try:
            with service_errors():
                await tickets.save_ticket_type(actor(request), event_id, form.cleaned, ticket_id)
            return redirect(request, _url(event_id), _("Ticket type saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except Conflict as exc:
            form.add_error("", str(exc))
    return await _page(request, event, ticket_form=form, status=422)


@get(f"{BASE}/{{event_id:int}}/tickets/{{ticket_id:int}}/delete", guards=GUARD)
async def ticket_delete_confirm(request: Request, event_id: int, ticket_id: int) -> Response:
    await managed_event(request, event_id)
    return await confirm_page(request, _("Delete ticket type"), _("Delete this ticket type?"),
                              f"{BASE}/{event_id}/tickets/{ticket_id}/delete", _url(event_id))


@post(f"{BASE}/{{event_id:int}}/tickets/{{ticket_id:int}}/delete", guards=GUARD)
async def ticket_delete(request: Request, event_id: int, ticket_id: int) -> Response:
    await managed_event(request, event_id)
    try:
        with service_errors():
            await tickets.delete_ticket_type(actor(request), event_id, ticket_id)
    except Conflict as exc:
        return redirect(request, _url(event_id), str(exc), "error")
    return redirect(request, _url(event_id), _("Ticket type deleted."))


@post(f"{BASE}/{{event_id:int}}/questions", guards=GUARD)
async def question_add(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    form = Form(question_fields(await custom_forms.questions(event["form"])), data=await form_data(request))
    if form.validate():
        try:
            await custom_forms.add_question(actor(request), event["form"], form.cleaned)
            return redirect(request, _url(event_id), _("Question added."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _page(request, event, question_form=form, status=422)


@post(f"{BASE}/{{event_id:int}}/questions/{{question_id:int}}/move", guards=GUARD)
async def question_move(request: Request, event_id: int, question_id: int) -> Response:
    event = await managed_event(request, event_id)
    step = -1 if (await form_data(request)).get("direction") == "up" else 1
    await custom_forms.move_question(actor(request), event["form"], question_id, step)
    return redirect(request, _url(event_id))


@get(f"{BASE}/{{event_id:int}}/questions/{{question_id:int}}/delete", guards=GUARD)
async def question_delete_confirm(request: Request, event_id: int, question_id: int) -> Response:
    await managed_event(request, event_id)
    return await confirm_page(request, _("Delete question"), _("Delete this question? Answers already given stay."),
                              f"{BASE}/{event_id}/questions/{question_id}/delete", _url(event_id))


@post(f"{BASE}/{{event_id:int}}/questions/{{question_id:int}}/delete", guards=GUARD)
async def question_delete(request: Request, event_id: int, question_id: int) -> Response:
    event = await managed_event(request, event_id)
    await custom_forms.remove_question(actor(request), event["form"], question_id)
    return redirect(request, _url(event_id), _("Question deleted."))


ROUTES = [setup_page, ticket_save, ticket_delete_confirm, ticket_delete, question_add, question_move,
          question_delete_confirm, question_delete]

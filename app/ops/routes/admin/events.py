"""Events on the desktop (OPS-02, OPS-03): the list (search, status, category, owner, paging), a new event, an
event's overview (figures, status actions: publish, approve / reject with a reason, close, cancel behind a confirm
page) and its edit form; the category boards."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, int_param, redirect, render
from app.ops import access, checkin, events, registrations, tickets
from app.ops.routes import service_errors
from app.ops.routes.admin import BASE, GUARD, event_ctx, managed_event


def event_fields(categories: list[dict]) -> list[Field]:
    return [
        Field("title", L("Title"), required=True, max_length=events.TITLE_MAX),
        Field("category", L("Category"), "select", choices=[(str(c["id"]), c["name"]) for c in categories]),
        Field("summary", L("Summary"), "textarea", max_length=events.SUMMARY_MAX),
        Field("body_html", L("Description"), "textarea"),
        Field("place", L("Place"), max_length=events.PLACE_MAX),
        Field("starts_at", L("Starts"), "datetime", required=True),
        Field("ends_at", L("Ends"), "datetime", required=True),
        Field("signup_opens", L("Registration opens"), "datetime", help=L("Empty: open as soon as published.")),
        Field("signup_closes", L("Registration closes"), "datetime", help=L("Empty: until the event ends.")),
        Field("needs_approval", L("Each registration waits for the organisers' approval"), "checkbox"),
        Field("verified_only", L("Verified alumni only"), "checkbox"),
        Field("seating", L("Seating"), "select", required=True, choices=[(k, v) for k, v in events.SEATING.items()]),
        Field("table_size", L("Seats per table"), "int", min_value=2, max_value=50),
        Field("reminder_minutes", L("Reminders (minutes before the start)"), max_length=60,
              help=L("Separated by commas, e.g. 1440, 120 (a day and two hours before).")),
    ]


def _values(form: Form) -> dict:
    values = dict(form.cleaned)
    values["category"] = int(values["category"]) if values.get("category") else None
    values["reminder_minutes"] = values.get("reminder_minutes") or ""
    return values


@get(BASE, guards=[requires(access.MANAGE)])
async def event_list(request: Request) -> Response:
    params = request.query_params
    status = params.get("status") if params.get("status") in events.STATUSES else None
    page = await events.list_events(status=status, category=int_param(params.get("category")),
                                    q=(params.get("q") or "").strip()[:100], req=PageRequest.from_query(params))
    options = [(str(c["id"]), c["name"]) for c in await events.categories()]
    return await render(request, "ops/admin/events.html", page=page, statuses=events.STATUSES,
                        category_options=options, block="results")


async def _new_page(request: Request, form: Form, status: int = 200) -> Response:
    return await render(request, "ops/admin/event_form.html", form=form, event=None, status=status,
                        action=BASE, owner=request.query_params.get("owner") or "hq:0")


def _owner(raw: str | None) -> tuple[str, int]:
    kind, _sep, owner_id = (raw or "hq:0").partition(":")
    return (kind, int(owner_id)) if owner_id.isdigit() and kind in access.OWNER_KINDS else ("hq", 0)


@get(f"{BASE}/new", guards=GUARD)
async def event_new(request: Request) -> Response:
    form = Form(event_fields(await events.categories(True)), data={"seating": "none", "table_size": "10",
                                                                 "reminder_minutes": "1440, 120"})
    return await _new_page(request, form)


@post(BASE, guards=GUARD)
async def event_create(request: Request) -> Response:
    data = await form_data(request)
    form = Form(event_fields(await events.categories(True)), data=data)
    if form.validate():
        try:
            with service_errors():
                event_id = await events.create_event(actor(request), _owner(data.get("owner")), _values(form))
            return redirect(request, f"{BASE}/{event_id}", _("Event created."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _new_page(request, form, 422)


@get(f"{BASE}/{{event_id:int}}", guards=GUARD)
async def event_overview(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    return await render(request, "ops/admin/event.html", counts=await registrations.counts(event_id),
                        door=await checkin.door_counts(event_id), ticket_types=await tickets.ticket_types(event_id),
                        **event_ctx(event, "overview"))


async def _edit_page(request: Request, event: dict, form: Form, status: int = 200) -> Response:
    return await render(request, "ops/admin/event_form.html", form=form, status=status,
                        action=f"{BASE}/{event['id']}/edit", **event_ctx(event, "edit"))


@get(f"{BASE}/{{event_id:int}}/edit", guards=GUARD)
async def event_edit(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    data = {f.name: event.get(f.name) for f in event_fields([])}
    data["category"] = str(event["category"] or "")
    data["needs_approval"] = "on" if event["needs_approval"] else ""
    data["verified_only"] = "on" if event["verified_only"] else ""
    data["reminder_minutes"] = ", ".join(str(m) for m in event["reminder_minutes"])
    return await _edit_page(request, event, Form(event_fields(await events.categories()), data=data))


@post(f"{BASE}/{{event_id:int}}/edit", guards=GUARD)
async def event_update(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    form = Form(event_fields(await events.categories()), data=await form_data(request))
    if form.validate():
        try:
            await events.update_event(actor(request), event_id, _values(form))
            return redirect(request, f"{BASE}/{event_id}", _("Event saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except Conflict as exc:
            form.add_error("", str(exc))
    return await _edit_page(request, event, form, 422)


STATUS_ACTIONS = {"publish": "published", "approve": "published", "reject": "rejected", "close": "closed",
                  "cancel": "cancelled"}


@get(f"{BASE}/{{event_id:int}}/status/{{action:str}}", guards=GUARD)
async def status_confirm(request: Request, event_id: int, action: str) -> Response:
    event = await managed_event(request, event_id)
    if action not in STATUS_ACTIONS:
        return redirect(request, f"{BASE}/{event_id}")
    if action == "reject":
        return await render(request, "ops/admin/reject.html", action=f"{BASE}/{event_id}/status/reject",
                            cancel=f"{BASE}/{event_id}", title=_("Reject the event"), error="",
                            **event_ctx(event, "overview"))
    labels = {"publish": _("Publish “%(title)s”?"), "approve": _("Approve and publish “%(title)s”?"),
              "close": _("Close “%(title)s”? Registration ends."),
              "cancel": _("Cancel “%(title)s”? Registered people see it cancelled.")}
    return await confirm_page(request, _("Change the event"), labels[action] % {"title": event["title"]},
                              f"{BASE}/{event_id}/status/{action}", f"{BASE}/{event_id}")


@post(f"{BASE}/{{event_id:int}}/status/{{action:str}}", guards=GUARD)
async def status_change(request: Request, event_id: int, action: str) -> Response:
    event = await managed_event(request, event_id)
    if action not in STATUS_ACTIONS:
        return redirect(request, f"{BASE}/{event_id}")
    reason = (await form_data(request)).get("reason") or ""
    try:
        with service_errors():
            await events.set_status(actor(request), event_id, STATUS_ACTIONS[action], reason)
    except Invalid as exc:
        return await render(request, "ops/admin/reject.html", action=f"{BASE}/{event_id}/status/reject",
                            cancel=f"{BASE}/{event_id}", title=_("Reject the event"), error=exc.message, status=422,
                            **event_ctx(event, "overview"))
    except Conflict as exc:
        return redirect(request, f"{BASE}/{event_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{event_id}", _("Event updated."))


CATEGORY_FIELDS = [Field("name", L("Name"), required=True, max_length=60), Field("sort", L("Sort order"), "int"),
                   Field("enabled", L("Shown to alumni"), "checkbox")]


async def _categories_page(request: Request, form: Form, status: int = 200) -> Response:
    return await render(request, "ops/admin/categories.html", categories=await events.categories(), form=form,
                        status=status)


@get("/admin/ops/categories", guards=[requires(access.MANAGE)])
async def category_list(request: Request) -> Response:
    return await _categories_page(request, Form(CATEGORY_FIELDS, data={"enabled": "on", "sort": "0"}))


@post("/admin/ops/categories", guards=[requires(access.MANAGE)])
async def category_save(request: Request) -> Response:
    data = await form_data(request)
    form = Form(CATEGORY_FIELDS, data=data)
    if form.validate():
        try:
            with service_errors():
                await events.save_category(actor(request), form.cleaned["name"], form.cleaned["sort"] or 0,
                                           form.cleaned["enabled"], int_param(data.get("id")))
            return redirect(request, "/admin/ops/categories", _("Category saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _categories_page(request, form, 422)


ROUTES = [event_list, event_new, event_create, event_overview, event_edit, event_update, status_confirm,
          status_change, category_list, category_save]

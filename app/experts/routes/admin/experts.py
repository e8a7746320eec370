"""Admin pages of the expert record (EXP-11, EXP-14, EXP-16, EXP-17): the list with keyword and field search,
admin entry (the phone unique), the panorama (record, fields, recommender, before/after history), edits, and
moving an expert to the delete list or the blacklist with a reason (audited) and back. Phone and email on the
list and the panorama follow contact.py's reveal rule (masked unless exp.contact.view AND in the window)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, form_data, redirect, render
from app.experts import contact, experts, invitations, recommendations, tags, taxonomy

BASE = "/admin/experts"
VIEW = [requires("exp.expert.view")]
EDIT = [requires("exp.expert.edit")]
REMOVE = [requires("exp.expert.remove")]
GENDERS = [("男", L("Male")), ("女", L("Female"))]
TYPES = [("individual", L("Individual expert")), ("organisation", L("Organisation expert"))]
STATUS_ACTIONS = {"deleted": L("Delete"), "blacklisted": L("Blacklist"), "formal": L("Restore")}


async def expert_fields() -> list[Field]:
    return [Field("name", L("Name"), required=True, max_length=64),
            Field("phone", L("Mobile number"), "phone", required=True, max_length=20,
                  help=L("The phone identifies the expert: it must not belong to another expert.")),
            Field("email", L("Email"), "email", max_length=254),
            Field("gender", L("Gender"), "select", choices=GENDERS),
            Field("birth_date", L("Date of birth"), "date"),
            Field("employer", L("Employer"), max_length=200),
            Field("title", L("Professional title"), max_length=64),
            Field("specialty", L("Specialty"), max_length=200),
            Field("industry", L("Industry"), max_length=64),
            Field("region", L("Region"), max_length=64),
            Field("postcode", L("Postcode"), max_length=16),
            Field("expert_type", L("Expert type"), "select", choices=TYPES),
            Field("fields", L("Fields of expertise"), "multiselect", choices=await taxonomy.choices())]


async def _expert(expert_id: int) -> dict:
    try:
        return await experts.get(expert_id)
    except experts.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=VIEW)
async def expert_list(request: Request) -> Response:
    filters = experts.ExpertFilters.from_query(request.query_params)
    viewer = actor(request)
    page = await experts.search(viewer, filters, PageRequest.from_query(request.query_params))
    page.items = await contact.apply(viewer, page.items)  # the reveal rule (EXP-17), one query for the page
    return await render(request, "experts/admin/list.html", page=page, filters=filters,
                        field_choices=await taxonomy.choices(), block="results")


async def _form_page(request: Request, data: dict, errors: dict | None = None, status: int = 200,
                     expert: dict | None = None) -> Response:
    form = Form(await expert_fields(), data=data, errors=errors or {})
    action = f"{BASE}/{expert['id']}/edit" if expert else BASE
    return await render(request, "experts/admin/form.html", form=form, action=action, expert=expert,
                        cancel=f"{BASE}/{expert['id']}" if expert else BASE, status=status,
                        title=_("Edit expert") if expert else _("New expert"))


@get(f"{BASE}/new", guards=EDIT)
async def expert_new(request: Request) -> Response:
    return await _form_page(request, {"expert_type": "individual"})


@post(BASE, guards=EDIT)
async def expert_create(request: Request) -> Response:
    data = await form_data(request)
    form = Form(await expert_fields(), data=data)
    if not form.validate():
        return await _form_page(request, data, form.errors, 422)
    try:
        expert_id = await experts.create(actor(request), form.cleaned)
    except Invalid as exc:
        return await _form_page(request, data, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/{expert_id}", _("Expert saved."))


@get(f"{BASE}/{{expert_id:int}}", guards=VIEW)
async def expert_detail(request: Request, expert_id: int) -> Response:
    row = await _expert(expert_id)
    shown = await contact.apply_one(actor(request), row)
    return await render(request, "experts/admin/detail.html", expert=shown,
                        history=contact.history(await experts.history(expert_id), shown["contact_revealed"]),
                        actions=STATUS_ACTIONS, labels=experts.FIELD_LABELS,
                        panorama=await invitations.panorama(expert_id),
                        tags=(await tags.for_experts([expert_id]))[expert_id],
                        recommended=await recommendations.by_expert(expert_id))


@get(f"{BASE}/{{expert_id:int}}/edit", guards=EDIT)
async def expert_edit(request: Request, expert_id: int) -> Response:
    row = await contact.apply_one(actor(request), await _expert(expert_id))  # contacts masked outside the window
    data = {**row, "birth_date": row["birth_date"].isoformat() if row["birth_date"] else "",
            "fields": [str(f) for f in row["fields"]]}
    return await _form_page(request, data, expert=row)


@post(f"{BASE}/{{expert_id:int}}/edit", guards=EDIT)
async def expert_update(request: Request, expert_id: int) -> Response:
    row = await _expert(expert_id)
    submitted = await form_data(request)  # re-shown on errors: what was typed, never the unmasked value
    data = contact.keep_hidden(submitted, row, await contact.apply_one(actor(request), row))
    form = Form(await expert_fields(), data=data)
    if not form.validate():
        return await _form_page(request, submitted, form.errors, 422, row)
    try:
        await experts.update(actor(request), expert_id, form.cleaned)
    except Invalid as exc:
        return await _form_page(request, submitted, {exc.field or "__all__": exc.message}, 422, row)
    return redirect(request, f"{BASE}/{expert_id}", _("Expert saved."))


async def _status_page(request: Request, row: dict, status: str, reason: str = "", error: str = "",
                       code: int = 200) -> Response:
    return await render(request, "experts/admin/status.html", expert=row, target=status, reason=reason,
                        error=error, title=str(STATUS_ACTIONS[status]), status=code)


@get(f"{BASE}/{{expert_id:int}}/status/{{status:str}}", guards=REMOVE)
async def expert_status_confirm(request: Request, expert_id: int, status: str) -> Response:
    if status not in STATUS_ACTIONS:
        raise NotFoundException()
    return await _status_page(request, await _expert(expert_id), status)


@post(f"{BASE}/{{expert_id:int}}/status/{{status:str}}", guards=REMOVE)
async def expert_status(request: Request, expert_id: int, status: str) -> Response:
    if status not in STATUS_ACTIONS:
        raise NotFoundException()
    row = await _expert(expert_id)
    data = await form_data(request)
    try:
        await experts.set_status(actor(request), expert_id, status, data.get("reason", ""))
    except Invalid as exc:
        return await _status_page(request, row, status, data.get("reason", ""), exc.message, 422)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{expert_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{expert_id}", _("Expert status changed."))


ROUTES = [expert_list, expert_new, expert_create, expert_detail, expert_edit, expert_update, expert_status_confirm,
          expert_status]

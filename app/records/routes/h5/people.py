"""Phone (H5) pages for admins (REC-18): combined search, full detail, edit basic / education / work, add
contact log entries. Same permissions, data scope, clearance and masking as the admin pages; a record
outside them is 404. Plain links and forms; htmx only swaps the result list."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.uploads import StoredFile
from app.core.web import actor, form_data, redirect, render, submit
from app.records import api, fields, phone_forms, visibility

VIEW, EDIT, CONTACT = [requires("rec.person.view")], [requires("rec.person.edit")], [requires("rec.contact.edit")]
CONTACT_METHODS = [("phone", L("Phone call")), ("visit", L("Visit")), ("wechat", L("WeChat")), ("email", L("Email")),
                   ("meeting", L("Meeting")), ("other", L("Other"))]
PAGE_TITLES = {"basic": L("Edit basic information"), "work": L("Edit work information")}


async def _raw(request: Request, person_id: int) -> dict:
    try:
        return await api.get_raw(actor(request), person_id)
    except api.NotFound:
        raise NotFoundException() from None


def contact_form(data: dict | None = None) -> Form:
    return Form([Field("method", L("Method"), "select", required=True, choices=CONTACT_METHODS),
                 Field("summary", L("What was discussed"), "textarea", required=True, max_length=2000)],
                data or {"method": "phone"})


@get("/h5/records", guards=VIEW)
async def h5_search(request: Request) -> Response:
    filters = api.PersonFilters.from_query(request.query_params)
    searched = any((filters.q, filters.college, filters.entry_year, filters.kind))
    page = await api.list_people(actor(request), filters, PageRequest.from_query(request.query_params))
    return await render(request, "records/h5/search.html", page=page, filters=filters, searched=searched,
                        colleges=await phone_forms.college_choices(), kinds=list(fields.PERSON_KINDS.items()),
                        block="results", share_title=_("Alumni search"))


@get("/h5/records/{person_id:int}", guards=VIEW)
async def h5_detail(request: Request, person_id: int) -> Response:
    who = actor(request)
    try:
        person = await api.get_person(who, person_id)
    except api.NotFound:
        raise NotFoundException() from None
    files = [{**f, "url": StoredFile(f["storage_key"], f["filename"], f["size"], f["content_type"]).url}
             for f in person["files"]]
    specs = [s for s in await fields.catalogue() if not s.per_education]
    if not who.can("rec.key.view"):
        specs = [s for s in specs if s.section != "key"]
    return await render(request, "records/h5/detail.html", person=person, files=files,
                        shown=await phone_forms.display(person, specs), degrees=await phone_forms.degree_names(),
                        classmates=await api.classmates(who, person_id, 30), form=contact_form(),
                        sections=fields.SECTIONS, share_title=person["name"])


async def _edit_page(request: Request, person: dict, page: str, form, locked, status: int = 200) -> Response:
    person = visibility.mask_row(actor(request), dict(person))
    return await render(request, "records/h5/edit.html", person=person, form=form, locked=locked, page=page,
                        title=str(PAGE_TITLES[page]), action=f"/h5/records/{person['id']}/edit/{page}",
                        status=status, share_title=str(PAGE_TITLES[page]))


@get("/h5/records/{person_id:int}/edit/{page:str}", guards=EDIT)
async def h5_edit(request: Request, person_id: int, page: str) -> Response:
    if page not in phone_forms.PAGES:
        raise NotFoundException()
    person = await _raw(request, person_id)
    form, locked = await phone_forms.person_form(actor(request), page, person)
    return await _edit_page(request, person, page, form, locked)


@post("/h5/records/{person_id:int}/edit/{page:str}", guards=EDIT)
async def h5_save(request: Request, person_id: int, page: str) -> Response:
    if page not in phone_forms.PAGES:
        raise NotFoundException()
    person = await _raw(request, person_id)
    form, locked = await phone_forms.person_form(actor(request), page, person, await form_data(request))
    if form.validate():
        try:
            await api.update_person(actor(request), person_id,
                                        await phone_forms.changes_from(page, form, locked))
        except Invalid as exc:
            form.add_error(exc.field if exc.field in {f.name for f in form.fields} else "", exc.message)
        else:
            return redirect(request, f"/h5/records/{person_id}", _("Saved."))
    return await _edit_page(request, person, page, form, locked, status=422)


async def _education_page(request: Request, person: dict, education: dict | None, form, status: int = 200):
    action = (f"/h5/records/{person['id']}/education/{education['id']}" if education
              else f"/h5/records/{person['id']}/education/new")
    person = visibility.mask_row(actor(request), dict(person))
    return await render(request, "records/h5/edit.html", person=person, form=form, locked=set(), page="education",
                        title=_("Edit education record") if education else _("Add education record"),
                        action=action, status=status, share_title=_("Education"))


@get("/h5/records/{person_id:int}/education/{education_id:int}", guards=EDIT)
async def h5_education(request: Request, person_id: int, education_id: int) -> Response:
    person = await _raw(request, person_id)
    try:
        education = await phone_forms.get_education(actor(request), person_id, education_id)
    except api.NotFound:
        raise NotFoundException() from None
    return await _education_page(request, person, education, await phone_forms.education_form(education))


@post("/h5/records/{person_id:int}/education/{education_id:int}", guards=EDIT)
async def h5_education_save(request: Request, person_id: int, education_id: int) -> Response:
    person = await _raw(request, person_id)
    try:
        education = await phone_forms.get_education(actor(request), person_id, education_id)
    except api.NotFound:
        raise NotFoundException() from None
    form = await phone_forms.education_form(await form_data(request))
    done = await submit(request, form, lambda _: api.update_education(
        actor(request), person_id, education_id, phone_forms.education_values(form)),
        f"/h5/records/{person_id}#education", _("Saved."))
    return done or await _education_page(request, person, education, form, status=422)


@get("/h5/records/{person_id:int}/education/new", guards=EDIT)
async def h5_education_new(request: Request, person_id: int) -> Response:
    person = await _raw(request, person_id)
    return await _education_page(request, person, None, await phone_forms.education_form({}))


@post("/h5/records/{person_id:int}/education/new", guards=EDIT)
async def h5_education_add(request: Request, person_id: int) -> Response:
    person = await _raw(request, person_id)
    form = await phone_forms.education_form(await form_data(request))
    done = await submit(request, form,
                        lambda _: api.add_education(actor(request), person_id, phone_forms.education_values(form)),
                        f"/h5/records/{person_id}#education", _("Saved."))
    return done or await _education_page(request, person, None, form, status=422)


@post("/h5/records/{person_id:int}/contacts", guards=CONTACT)
async def h5_contact_add(request: Request, person_id: int) -> Response:
    form = contact_form(await form_data(request))
    if form.validate():
        try:
            await api.add_contact(actor(request), person_id, form.cleaned["method"], form.cleaned["summary"])
        except api.NotFound:
            raise NotFoundException() from None
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            # no #fragment: from the same page, htmx's HX-Redirect to a hash-only change would not reload
            return redirect(request, f"/h5/records/{person_id}", _("Contact log entry added."))
    person = visibility.mask_row(actor(request), dict(await _raw(request, person_id)))
    return await render(request, "records/h5/contact.html", person=person, form=form, status=422,
                        share_title=_("Add contact log entry"))


ROUTES = [h5_search, h5_detail, h5_edit, h5_save, h5_education, h5_education_save, h5_education_new,
          h5_education_add, h5_contact_add]

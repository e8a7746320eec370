"""Alumni records admin (REC-01, REC-03, REC-04): the list with filters, column chooser and tree browse; the
person detail with its sections as tabs; new/edit forms from the field catalogue; education records,
contact log and archive files. A person outside the viewer's scope or clearance is a plain 404."""
from __future__ import annotations

from datetime import datetime, time

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, submit
from app.records import api, change_log, export, fields, labels, people, person_forms, phone_forms, tags, tree

VIEW = [requires("rec.person.view")]
CREATE = [requires("rec.person.view", "rec.person.create")]
EDIT = [requires("rec.person.view", "rec.person.edit")]
CONTACT = [requires("rec.person.view", "rec.contact.edit")]
TABS = ("basic", "contact", "education", "work", "interactions", "contacts", "files", "changes", "classmates", "key")


async def list_context(request: Request) -> dict:
    """What views/records/admin/_people_results.html needs besides `page`: the columns."""
    who = actor(request)
    columns = await people.cached_list_table(who, await fields.catalogue())
    return {"columns": columns,
            "default_cols": [c["key"] for c in people.default_columns(columns)]}


@get("/admin/records", guards=VIEW)
async def person_list(request: Request) -> Response:
    who, params = actor(request), request.query_params
    filters = api.PersonFilters.from_query(params)
    page = await api.list_people(who, filters, PageRequest.from_query(params),
                                     where=tree.list_where(who, filters, params))
    return await render(request, "records/admin/people.html", block="results", page=page, **await list_context(request),
                        export_url=export.list_export_url(params) if who.can("rec.export") else None,
                        browse=await tree.build(who, params), colleges=await people.cached_college_options(who),
                        tag_options=[(str(k), v) for k, v in await tags.choices(who)],
                        kinds=[(k, str(v)) for k, v in fields.PERSON_KINDS.items()])


async def _person(request: Request, person_id: int, raw: bool = False) -> dict:
    try:
        if raw:
            return await api.get_raw(actor(request), person_id)
        return await api.get_person(actor(request), person_id)
    except api.NotFound:
        raise NotFoundException() from None


@get("/admin/records/{person_id:int}", guards=VIEW)
async def person_detail(request: Request, person_id: int) -> Response:
    return await _detail(request, person_id)


async def _detail(request: Request, person_id: int, *, tab: str | None = None, contact=None, upload=None,
                  status: int = 200) -> Response:
    who = actor(request)
    person = await _person(request, person_id)
    tab = tab or request.query_params.get("tab") or "basic"
    if tab not in TABS or (tab == "key" and not who.can("rec.key.view")):
        tab = "basic"
    specs = [s for s in await fields.catalogue() if not s.per_education and people.can_see(who, s)]
    context = {"person": person, "tab": tab, "sections": await phone_forms.display(person, [s for s in specs
                                                                                          if s.kind != "file"]),
               "file_fields": [(s, person["custom"].get(s.code)) for s in specs
                               if s.kind == "file" and person["custom"].get(s.code)],
               "degrees": await phone_forms.degree_names(), "secrecy_levels": fields.SECRECY,
               "kinds": fields.PERSON_KINDS, "methods": dict(person_forms.contact_methods()),
               "interaction_kinds": labels.INTERACTION_KINDS,
               "contact_form": contact or person_forms.contact_form(), "file_form": upload or person_forms.file_form()}
    if tab == "changes":
        context["changes"] = await change_log.list_changes(who, change_log.ChangeFilters(person=person_id),
                                                           PageRequest.from_query(request.query_params))
    if tab == "classmates":
        context["classmates"] = await api.classmates(who, person_id)
    return await render(request, "records/admin/person_detail.html", block="section", status=status, **context)


# --- new / edit -----------------------------------------------------------------------------------------

async def _form_page(request: Request, form, groups, locked, person=None, status=200) -> Response:
    return await render(request, "records/admin/person_form.html", form=form, groups=groups, locked=locked,
                        person=person, status=status, block="form")


@get("/admin/records/new", guards=CREATE)
async def person_new(request: Request) -> Response:
    return await _form_page(request, *await person_forms.person_form(actor(request), creating=True))


@post("/admin/records", guards=CREATE)
async def person_create(request: Request) -> Response:
    who = actor(request)
    form, groups, locked = await person_forms.person_form(who, await form_data(request), creating=True)
    if form.validate():
        try:
            values = await person_forms.values_from(who, form, locked)
            person_id = await api.create_person(who, values, person_forms.education_from(form))
        except Invalid as exc:
            form.add_error(person_forms.field_of(exc, form), exc.message)
        else:
            return redirect(request, f"/admin/records/{person_id}", _("Record created."))
    return await _form_page(request, form, groups, locked, status=422)


@get("/admin/records/{person_id:int}/edit", guards=EDIT)
async def person_edit(request: Request, person_id: int) -> Response:
    person = await _person(request, person_id, raw=True)
    return await _form_page(request, *await person_forms.person_form(actor(request), person=person), person=person)


@post("/admin/records/{person_id:int}/edit", guards=EDIT)
async def person_update(request: Request, person_id: int) -> Response:
    who = actor(request)
    person = await _person(request, person_id, raw=True)
    form, groups, locked = await person_forms.person_form(who, await form_data(request), person=person)
    if form.validate():
        try:
            changed = await api.update_person(who, person_id, await person_forms.values_from(who, form, locked))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except api.NotFound:
            raise NotFoundException() from None
        else:
            message = _("Record saved.") if changed else _("Nothing changed.")
            return redirect(request, f"/admin/records/{person_id}", message)
    return await _form_page(request, form, groups, locked, person=person, status=422)


# --- education records (学籍信息) -------------------------------------------------------------------------

async def _education_page(request: Request, person: dict, form, education=None, status=200) -> Response:
    return await render(request, "records/admin/education_form.html", person=person, form=form, education=education,
                        status=status, block="form")


@get("/admin/records/{person_id:int}/educations/new", guards=EDIT)
async def education_new(request: Request, person_id: int) -> Response:
    person = await _person(request, person_id)
    return await _education_page(request, person, await phone_forms.education_form({}))


@post("/admin/records/{person_id:int}/educations", guards=EDIT)
async def education_create(request: Request, person_id: int) -> Response:
    person = await _person(request, person_id)
    form = await phone_forms.education_form(await form_data(request))
    done = await submit(request, form, lambda _: api.add_education(
        actor(request), person_id, phone_forms.education_values(form)),
        f"/admin/records/{person_id}?tab=education", _("Education record added."))
    return done or await _education_page(request, person, form, status=422)


async def _education(request: Request, person_id: int, education_id: int) -> dict:
    try:
        return await phone_forms.get_education(actor(request), person_id, education_id)
    except api.NotFound:
        raise NotFoundException() from None


@get("/admin/records/{person_id:int}/educations/{education_id:int}", guards=EDIT)
async def education_edit(request: Request, person_id: int, education_id: int) -> Response:
    education = await _education(request, person_id, education_id)
    person = await _person(request, person_id)
    return await _education_page(request, person, await phone_forms.education_form(education), education)


@post("/admin/records/{person_id:int}/educations/{education_id:int}", guards=EDIT)
async def education_update(request: Request, person_id: int, education_id: int) -> Response:
    education = await _education(request, person_id, education_id)
    person = await _person(request, person_id)
    form = await phone_forms.education_form(await form_data(request))
    done = await submit(request, form, lambda _: api.update_education(
        actor(request), person_id, education_id, phone_forms.education_values(form)),
        f"/admin/records/{person_id}?tab=education", _("Education record saved."))
    return done or await _education_page(request, person, form, education, status=422)


@get("/admin/records/{person_id:int}/educations/{education_id:int}/delete", guards=EDIT)
async def education_delete_confirm(request: Request, person_id: int, education_id: int) -> Response:
    education = await _education(request, person_id, education_id)
    what = " ".join(str(v) for v in (education["entry_year"], education["major"], education["class_name"]) if v)
    return await confirm_page(request, _("Delete education record"),
                              _("Delete the education record “%(what)s”? The change log keeps a copy.",
                                what=what or f"#{education_id}"),
                              f"/admin/records/{person_id}/educations/{education_id}/delete",
                              f"/admin/records/{person_id}?tab=education")


@post("/admin/records/{person_id:int}/educations/{education_id:int}/delete", guards=EDIT)
async def education_delete(request: Request, person_id: int, education_id: int) -> Response:
    try:
        await api.delete_education(actor(request), person_id, education_id)
    except api.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"/admin/records/{person_id}?tab=education", _("Education record deleted."))


# --- contact log, archive files ---------------------------------------------------------------------------

@post("/admin/records/{person_id:int}/contacts", guards=CONTACT)
async def contact_add(request: Request, person_id: int) -> Response:
    form = person_forms.contact_form(await form_data(request))
    if form.validate():
        c = form.cleaned
        when = datetime.combine(c["contacted_on"], time(12)).astimezone() if c["contacted_on"] else None
        try:
            await api.add_contact(actor(request), person_id, c["method"], c["summary"], when)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except api.NotFound:
            raise NotFoundException() from None
        else:
            return redirect(request, f"/admin/records/{person_id}?tab=contacts", _("Contact log entry added."))
    return await _detail(request, person_id, tab="contacts", contact=form, status=422)


@post("/admin/records/{person_id:int}/files", guards=EDIT)
async def file_upload(request: Request, person_id: int) -> Response:
    form = person_forms.file_form(await form_data(request))
    if form.validate():
        c = form.cleaned
        try:
            await people.add_file(actor(request), person_id, c["kind"], c["title"] or "", c["file"].filename,
                                  await c["file"].read())
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except api.NotFound:
            raise NotFoundException() from None
        else:
            return redirect(request, f"/admin/records/{person_id}?tab=files", _("File uploaded."))
    return await _detail(request, person_id, tab="files", upload=form, status=422)


def _download(row_name: str, content_type: str, data: bytes) -> Response:
    from urllib.parse import quote

    return Response(data, media_type=content_type or "application/octet-stream",
                    headers={"Cache-Control": "private, max-age=600",
                             "Content-Disposition": f"inline; filename*=UTF-8''{quote(row_name)}",
                             "X-Content-Type-Options": "nosniff"})


@get("/admin/records/{person_id:int}/files/{file_id:int}", guards=VIEW)
async def file_download(request: Request, person_id: int, file_id: int) -> Response:
    try:
        row, data = await people.read_file(actor(request), person_id, file_id)
    except api.NotFound:
        raise NotFoundException() from None
    return _download(row["filename"], row["content_type"], data)


@get("/admin/records/{person_id:int}/custom-files/{code:str}", guards=VIEW)
async def custom_file_download(request: Request, person_id: int, code: str) -> Response:
    try:
        value, data = await people.read_custom_file(actor(request), person_id, code)
    except api.NotFound:
        raise NotFoundException() from None
    return _download(value.get("name") or code, value.get("type") or "", data)


ROUTES = [person_list, person_detail, person_new, person_create, person_edit, person_update, education_new,
          education_create, education_edit, education_update, education_delete_confirm, education_delete,
          contact_add, file_upload, file_download, custom_file_download]

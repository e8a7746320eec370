"""Council meetings on the desktop (ORG-03): the list, a meeting's form (date, place, term, attendees from the
members, minutes in the rich editor), its files (uploaded after a type/size/content check, downloaded from here
behind the same scope check) and deletes behind a confirm page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.exports import content_disposition
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.orgs import council, meetings, members
from app.orgs.routes.admin import BASE, GUARD, managed_org, org_ctx


def meeting_fields(terms: list[dict], member_choices: list[tuple[str, str]]) -> list[Field]:
    return [Field("title", L("Title"), required=True, max_length=200, placeholder=L("e.g. 第三届理事会第二次会议")),
            Field("held_on", L("Date"), "date", required=True),
            Field("place", L("Place"), max_length=200),
            Field("term", L("Term"), "select", choices=[(str(t["id"]), t["name"] or str(t["number"])) for t in terms]),
            Field("attendees", L("Attendees"), "multiselect", choices=member_choices),
            Field("minutes", L("Minutes"), "textarea", max_length=200_000)]


FILE_FIELDS = [Field("file", L("File"), "file", required=True)]


def _base(org_id: int) -> str:
    return f"{BASE}/{org_id}/meetings"


async def _fields(org_id: int) -> list[Field]:
    return meeting_fields(await council.terms(org_id), await members.member_choices(org_id))


@get(f"{BASE}/{{org_id:int}}/meetings", guards=GUARD)
async def meeting_list(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    page = await meetings.list_meetings(actor(request), org_id, PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/meetings.html", page=page, block="results",
                        **org_ctx(org, request, "meetings"))


async def _form(request: Request, org: dict, data: dict, meeting: dict | None = None, errors: dict | None = None,
                file_error: str = "", status: int = 200) -> Response:
    form = Form(await _fields(org["id"]), data=data, errors=errors or {})
    file_form = Form(FILE_FIELDS)
    if file_error:
        file_form.add_error("file", file_error)
    return await render(request, "orgs/admin/meeting.html", form=form, meeting=meeting, file_form=file_form,
                        status=status, **org_ctx(org, request, "meetings"))


@get(f"{BASE}/{{org_id:int}}/meetings/new", guards=GUARD)
async def meeting_new(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    current = next((t for t in await council.terms(org_id) if t["current"]), None)
    return await _form(request, org, {"term": current["id"] if current else ""})


async def _save(request: Request, org: dict, meeting_id: int | None) -> Response:
    data = await form_data(request)
    form = Form(await _fields(org["id"]), data=data)
    meeting = await _meeting(request, org["id"], meeting_id) if meeting_id else None
    if not form.validate():
        return await _form(request, org, data, meeting, form.errors, status=422)
    v = form.cleaned
    try:
        meeting_id = await meetings.save(actor(request), org["id"], title=v["title"], held_on=v["held_on"],
                                         place=v["place"] or "", term_id=int(v["term"]) if v["term"] else None,
                                         minutes=v["minutes"] or "", attendees=[int(a) for a in v["attendees"]],
                                         meeting_id=meeting_id)
    except Invalid as exc:
        return await _form(request, org, data, meeting, {exc.field or "__all__": exc.message}, status=422)
    return redirect(request, f"{_base(org['id'])}/{meeting_id}", _("Meeting saved."))


@post(f"{BASE}/{{org_id:int}}/meetings", guards=GUARD)
async def meeting_create(request: Request, org_id: int) -> Response:
    return await _save(request, await managed_org(request, org_id), None)


async def _meeting(request: Request, org_id: int, meeting_id: int) -> dict:
    try:
        return await meetings.get(actor(request), org_id, meeting_id)
    except meetings.NotFound:
        raise NotFoundException() from None


@get(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}", guards=GUARD)
async def meeting_detail(request: Request, org_id: int, meeting_id: int) -> Response:
    org = await managed_org(request, org_id)
    m = await _meeting(request, org_id, meeting_id)
    data = {"title": m["title"], "held_on": m["held_on"].isoformat(), "place": m["place"], "term": m["term"] or "",
            "attendees": [str(a["id"]) for a in m["attendees"]], "minutes": m["minutes"]}
    return await _form(request, org, data, m)


@post(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}", guards=GUARD)
async def meeting_update(request: Request, org_id: int, meeting_id: int) -> Response:
    return await _save(request, await managed_org(request, org_id), meeting_id)


@get(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}/delete", guards=GUARD)
async def meeting_delete_confirm(request: Request, org_id: int, meeting_id: int) -> Response:
    await managed_org(request, org_id)
    m = await _meeting(request, org_id, meeting_id)
    return await confirm_page(request, _("Delete meeting"), _("Delete the meeting “%(title)s” with its minutes and"
                                                              " files?", title=m["title"]),
                              f"{_base(org_id)}/{meeting_id}/delete", f"{_base(org_id)}/{meeting_id}")


@post(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}/delete", guards=GUARD)
async def meeting_delete(request: Request, org_id: int, meeting_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        await meetings.delete(actor(request), org_id, meeting_id)
    except meetings.NotFound:
        raise NotFoundException() from None
    return redirect(request, _base(org_id), _("Meeting deleted."))


@post(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}/files", guards=GUARD)
async def file_upload(request: Request, org_id: int, meeting_id: int) -> Response:
    org = await managed_org(request, org_id)
    m = await _meeting(request, org_id, meeting_id)
    upload = (await form_data(request)).get("file")
    data = {"title": m["title"], "held_on": m["held_on"].isoformat(), "place": m["place"], "term": m["term"] or "",
            "attendees": [str(a["id"]) for a in m["attendees"]], "minutes": m["minutes"]}
    if not getattr(upload, "filename", None):
        return await _form(request, org, data, m, file_error=_("Choose a file."), status=422)
    try:
        await meetings.add_file(actor(request), org_id, meeting_id, upload.filename, await upload.read())
    except Invalid as exc:
        return await _form(request, org, data, m, file_error=exc.message, status=422)
    return redirect(request, f"{_base(org_id)}/{meeting_id}", _("File uploaded."))


@get(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}/files/{{file_id:int}}", guards=GUARD)
async def file_download(request: Request, org_id: int, meeting_id: int, file_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        row, content = await meetings.get_file(actor(request), org_id, meeting_id, file_id)
    except meetings.NotFound:
        raise NotFoundException() from None
    return Response(content, media_type=row["content_type"] or "application/octet-stream",
                    headers={"Content-Disposition": content_disposition(row["filename"]),
                             "Cache-Control": "private, no-store"})


@get(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}/files/{{file_id:int}}/delete", guards=GUARD)
async def file_delete_confirm(request: Request, org_id: int, meeting_id: int, file_id: int) -> Response:
    await managed_org(request, org_id)
    m = await _meeting(request, org_id, meeting_id)
    f = next((f for f in m["files"] if f["id"] == file_id), None)
    if f is None:
        raise NotFoundException()
    return await confirm_page(request, _("Delete file"), _("Delete the file “%(name)s”?", name=f["filename"]),
                              f"{_base(org_id)}/{meeting_id}/files/{file_id}/delete", f"{_base(org_id)}/{meeting_id}")


@post(f"{BASE}/{{org_id:int}}/meetings/{{meeting_id:int}}/files/{{file_id:int}}/delete", guards=GUARD)
async def file_delete(request: Request, org_id: int, meeting_id: int, file_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        await meetings.delete_file(actor(request), org_id, meeting_id, file_id)
    except meetings.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{_base(org_id)}/{meeting_id}", _("File deleted."))


ROUTES = [meeting_list, meeting_new, meeting_create, meeting_detail, meeting_update, meeting_delete_confirm,
          meeting_delete, file_upload, file_download, file_delete_confirm, file_delete]

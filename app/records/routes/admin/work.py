"""Work history rows and archive-file removal on the person page (REC-01): plain forms, confirm pages."""
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, submit
from app.records import api, people, work

EDIT = [requires("rec.person.edit")]


async def _person(request: Request, person_id: int) -> dict:
    try:
        return await api.get_raw(actor(request), person_id)
    except api.NotFound:
        raise NotFoundException() from None


async def _work(request: Request, person_id: int, work_id: int) -> dict:
    try:
        return await work.get_work(actor(request), person_id, work_id)
    except api.NotFound:
        raise NotFoundException() from None


async def _page(request: Request, person: dict, form, row=None, status=200) -> Response:
    return await render(request, "records/admin/work_form.html", person=person, form=form, work=row, status=status,
                        block="form")


def _back(person_id: int) -> str:
    return f"/admin/records/{person_id}?tab=work"


@get("/admin/records/{person_id:int}/works/new", guards=EDIT)
async def work_new(request: Request, person_id: int) -> Response:
    return await _page(request, await _person(request, person_id), await work.work_form({}))


@post("/admin/records/{person_id:int}/works", guards=EDIT)
async def work_create(request: Request, person_id: int) -> Response:
    person = await _person(request, person_id)
    form = await work.work_form(await form_data(request))
    done = await submit(request, form, lambda _f: work.add_work(actor(request), person_id, work.work_values(form)),
                        _back(person_id), _("Work record added."))
    return done or await _page(request, person, form, status=422)


@get("/admin/records/{person_id:int}/works/{work_id:int}", guards=EDIT)
async def work_edit(request: Request, person_id: int, work_id: int) -> Response:
    row = await _work(request, person_id, work_id)
    return await _page(request, await _person(request, person_id), await work.work_form(row), row)


@post("/admin/records/{person_id:int}/works/{work_id:int}", guards=EDIT)
async def work_update(request: Request, person_id: int, work_id: int) -> Response:
    row = await _work(request, person_id, work_id)
    person = await _person(request, person_id)
    form = await work.work_form(await form_data(request))
    done = await submit(request, form, lambda _f: work.update_work(actor(request), person_id, work_id,
                                                                     work.work_values(form)),
                        _back(person_id), _("Work record saved."))
    return done or await _page(request, person, form, row, status=422)


@get("/admin/records/{person_id:int}/works/{work_id:int}/delete", guards=EDIT)
async def work_delete_confirm(request: Request, person_id: int, work_id: int) -> Response:
    row = await _work(request, person_id, work_id)
    return await confirm_page(request, _("Delete work record"),
                              _("Delete the work record “%(what)s”? The change log keeps a copy.",
                                what=" ".join(v for v in (row["employer"], row["job_title"]) if v)),
                              f"/admin/records/{person_id}/works/{work_id}/delete", _back(person_id))


@post("/admin/records/{person_id:int}/works/{work_id:int}/delete", guards=EDIT)
async def work_delete(request: Request, person_id: int, work_id: int) -> Response:
    try:
        await work.delete_work(actor(request), person_id, work_id)
    except api.NotFound:
        raise NotFoundException() from None
    return redirect(request, _back(person_id), _("Work record deleted."))


@get("/admin/records/{person_id:int}/files/{file_id:int}/delete", guards=EDIT)
async def file_delete_confirm(request: Request, person_id: int, file_id: int) -> Response:
    try:
        row, _data = await people.read_file(actor(request), person_id, file_id)
    except api.NotFound:
        raise NotFoundException() from None
    return await confirm_page(request, _("Delete archive file"),
                              _("Remove “%(what)s” from this record? The update log can restore it.",
                                what=row["title"] or row["filename"]),
                              f"/admin/records/{person_id}/files/{file_id}/delete",
                              f"/admin/records/{person_id}?tab=files")


@post("/admin/records/{person_id:int}/files/{file_id:int}/delete", guards=EDIT)
async def file_delete(request: Request, person_id: int, file_id: int) -> Response:
    try:
        await people.delete_file(actor(request), person_id, file_id)
    except api.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"/admin/records/{person_id}?tab=files", _("Archive file removed."))


ROUTES = [work_new, work_create, work_edit, work_update, work_delete_confirm, work_delete, file_delete_confirm,
          file_delete]

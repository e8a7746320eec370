"""The alumni's class pages on the phone (CLS-01/03): my classes, finding a class and asking to join, asking to
leave, applying for a class the records do not have, and the class's home page (its WeChat share card, the
sections, the events hook). Works with plain links and forms."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.classes import applications, classes, roster, space
from app.classes.routes.h5 import H5, class_or_404, h5_confirm, share
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.web import actor, form_data, int_param, page_param, redirect, render


@get("/h5/classes", guards=H5)
async def my_classes(request: Request) -> Response:
    page = await space.home(actor(request))
    return await render(request, "classes/h5/home.html", **page, request_statuses=roster.REQUEST_STATUSES,
                        request_kinds=roster.REQUEST_KINDS, app_statuses=applications.STATUSES,
                        share_title=_("My classes"))


@get("/h5/classes/find", guards=H5)
async def find(request: Request) -> Response:
    params = request.query_params
    college, year = int_param(params.get("college")), int_param(params.get("entry_year"), 1900, 2100)
    page = await classes.find(params.get("q") or "", college, year, page_param(params.get("page")))
    return await render(request, "classes/h5/find.html", page=page, colleges=await classes.college_choices(),
                        q=params.get("q") or "", college=college, entry_year=year, share_title=_("Find my class"))


def application_form(colleges: list, data: dict | None = None) -> Form:
    return Form([
        Field("college", L("College"), "select", required=True, choices=colleges),
        Field("entry_year", L("Entry year"), "int", required=True, min_value=1900, max_value=2100),
        Field("class_name", L("Class name"), required=True, max_length=100,
              placeholder=L("e.g. 计算机2009级2班")),
        Field("note", L("Note for the college"), "textarea", max_length=500,
              help=L("Who you are and who else was in the class helps the college decide.")),
    ], data or {})


async def _apply_page(request: Request, form: Form, status: int = 200) -> Response:
    return await render(request, "classes/h5/apply.html", form=form, status=status,
                        share_title=_("Apply for a class"))


@get("/h5/classes/apply", guards=H5)
async def apply_form(request: Request) -> Response:
    return await _apply_page(request, application_form(await classes.college_choices()))


@post("/h5/classes/apply", guards=H5)
async def apply(request: Request) -> Response:
    form = application_form(await classes.college_choices(), await form_data(request))
    if form.validate():
        try:
            await applications.apply(actor(request), college=int(form.cleaned["college"]),
                                     entry_year=form.cleaned["entry_year"], class_name=form.cleaned["class_name"],
                                     note=form.cleaned["note"] or "")
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, "/h5/classes", _("Application sent. The college will review it."))
    return await _apply_page(request, form, status=422)


@get("/h5/classes/{class_id:int}", guards=H5)
async def class_home(request: Request, class_id: int) -> Response:
    await class_or_404(class_id)
    page = await space.overview(actor(request), class_id)
    return await render(request, "classes/h5/class.html", **page, **share(page["klass"]))


@get("/h5/classes/{class_id:int}/join", guards=H5)
async def join_confirm(request: Request, class_id: int) -> Response:
    klass = await class_or_404(class_id)
    return await h5_confirm(request, _("Join %(name)s", name=klass["name"]),
                            _("The class's liaisons will check that you were in this class."),
                            f"/h5/classes/{class_id}/join", f"/h5/classes/{class_id}", field="note",
                            field_label=_("A note for the liaisons (optional)"))


@post("/h5/classes/{class_id:int}/join", guards=H5)
async def join(request: Request, class_id: int) -> Response:
    await class_or_404(class_id)
    note = (await form_data(request)).get("note") or ""
    try:
        await roster.request_join(actor(request), class_id, note)
    except Conflict as exc:
        return redirect(request, f"/h5/classes/{class_id}", str(exc), "error")
    return redirect(request, f"/h5/classes/{class_id}", _("Join request sent. The liaisons will answer soon."))


@get("/h5/classes/{class_id:int}/leave", guards=H5)
async def leave_confirm(request: Request, class_id: int) -> Response:
    klass = await class_or_404(class_id)
    return await h5_confirm(request, _("Leave %(name)s", name=klass["name"]),
                            _("Ask the liaisons to take you off the class's member list."),
                            f"/h5/classes/{class_id}/leave", f"/h5/classes/{class_id}", field="note",
                            field_label=_("Why you leave (optional)"))


@post("/h5/classes/{class_id:int}/leave", guards=H5)
async def leave(request: Request, class_id: int) -> Response:
    await class_or_404(class_id)
    note = (await form_data(request)).get("note") or ""
    try:
        await roster.request_leave(actor(request), class_id, note)
    except Conflict as exc:
        return redirect(request, f"/h5/classes/{class_id}", str(exc), "error")
    return redirect(request, f"/h5/classes/{class_id}", _("Leave request sent."))


@post("/h5/classes/requests/{request_id:int}/withdraw", guards=H5)
async def withdraw(request: Request, request_id: int) -> Response:
    try:
        await roster.withdraw(actor(request), request_id)
    except Conflict as exc:
        return redirect(request, "/h5/classes", str(exc), "error")
    return redirect(request, "/h5/classes", _("Request withdrawn."))


ROUTES = [my_classes, find, apply_form, apply, class_home, join_confirm, join, leave_confirm, leave, withdraw]

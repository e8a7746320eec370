"""Forms and surveys on the desktop (OPS-05): the list, a new survey, its questions (the same builder as an event's
signup form), open / close, per-question statistics with charts, the xlsx export, and the share link with a QR
poster to print."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import db, exports
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.urls import absolute
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.ops import access, custom_forms, surveys
from app.ops.routes import service_errors
from app.ops.routes.admin.event_forms import question_fields

BASE = "/admin/ops/surveys"
GUARD = [requires(access.MANAGE)]
FIELDS = [Field("title", L("Title"), required=True, max_length=200),
          Field("description", L("Description"), "textarea", max_length=2000),
          Field("starts_at", L("Starts"), "datetime"), Field("ends_at", L("Ends"), "datetime"),
          Field("once", L("One answer per person"), "checkbox"),
          Field("public", L("Visitors may answer without an account"), "checkbox")]


async def _survey(survey_id: int) -> dict:
    with service_errors():
        return await surveys.get(survey_id)


@get(BASE, guards=GUARD)
async def survey_list(request: Request) -> Response:
    rows = await db.fetch("SELECT s.*, (SELECT count(*) FROM ops_form_response r WHERE r.form = s.form) AS answers"
                          " FROM ops_survey s ORDER BY s.id DESC LIMIT 200")
    return await render(request, "ops/admin/surveys.html", rows=rows, statuses=surveys.STATUSES,
                        form=Form(FIELDS, data={"once": "on"}))


@post(BASE, guards=GUARD)
async def survey_create(request: Request) -> Response:
    form = Form(FIELDS, data=await form_data(request))
    if form.validate():
        try:
            survey_id = await surveys.create(actor(request), form.cleaned)
            return redirect(request, f"{BASE}/{survey_id}", _("Survey created: add its questions."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await render(request, "ops/admin/surveys.html", rows=[], statuses=surveys.STATUSES, form=form,
                        status=422)


async def _page(request: Request, survey: dict, form: Form | None = None, status: int = 200) -> Response:
    items = await custom_forms.questions(survey["form"])
    link = absolute(f"/h5/surveys/{survey['id']}")
    return await render(request, "ops/admin/survey.html", survey=survey, questions=items,
                        by_key={q.key: q for q in items}, stats=await surveys.statistics(survey["id"]), link=link,
                        question_form=form or Form(question_fields(items), data={"kind": "choice"}), status=status)


@get(f"{BASE}/{{survey_id:int}}", guards=GUARD)
async def survey_page(request: Request, survey_id: int) -> Response:
    return await _page(request, await _survey(survey_id))


@post(f"{BASE}/{{survey_id:int}}/questions", guards=GUARD)
async def survey_question_add(request: Request, survey_id: int) -> Response:
    survey = await _survey(survey_id)
    form = Form(question_fields(await custom_forms.questions(survey["form"])), data=await form_data(request))
    if form.validate():
        try:
            await custom_forms.add_question(actor(request), survey["form"], form.cleaned)
            return redirect(request, f"{BASE}/{survey_id}", _("Question added."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _page(request, survey, form, 422)


@get(f"{BASE}/{{survey_id:int}}/export", guards=GUARD)
async def survey_export(request: Request, survey_id: int) -> Response:
    survey = await _survey(survey_id)
    columns, rows = await surveys.export_rows(survey_id)
    return exports.export_response(f"{survey['title']}.xlsx", columns, rows, request.query_params.get("format", "xlsx"),
                                   viewer=actor(request), watermark=exports.watermark_text(actor(request)))


@get(f"{BASE}/{{survey_id:int}}/poster", guards=GUARD)
async def survey_poster(request: Request, survey_id: int) -> Response:
    survey = await _survey(survey_id)
    return await render(request, "ops/admin/survey_poster.html", survey=survey,
                        link=absolute(f"/h5/surveys/{survey_id}"))


@get(f"{BASE}/{{survey_id:int}}/{{action:str}}", guards=GUARD)
async def survey_confirm(request: Request, survey_id: int, action: str) -> Response:
    survey = await _survey(survey_id)
    if action not in ("open", "close"):
        raise NotFoundException()
    message = _("Open “%(title)s” for answers?") if action == "open" else _("Close “%(title)s”? No more answers.")
    return await confirm_page(request, _("Survey"), message % {"title": survey["title"]},
                              f"{BASE}/{survey_id}/{action}", f"{BASE}/{survey_id}")


@post(f"{BASE}/{{survey_id:int}}/{{action:str}}", guards=GUARD)
async def survey_action(request: Request, survey_id: int, action: str) -> Response:
    await _survey(survey_id)
    if action not in ("open", "close"):
        raise NotFoundException()
    try:
        await surveys.set_status(actor(request), survey_id, "open" if action == "open" else "closed")
    except Conflict as exc:
        return redirect(request, f"{BASE}/{survey_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{survey_id}", _("Survey updated."))


ROUTES = [survey_list, survey_create, survey_page, survey_question_add, survey_export, survey_poster,
          survey_confirm, survey_action]

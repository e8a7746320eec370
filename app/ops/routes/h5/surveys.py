"""Answering a form or survey on the phone (OPS-05): its questions as a plain form (conditional questions carry
their condition in the help text; static/js/ops-forms.js hides them with JS), field messages that keep what was
typed, and a thank-you page. Public surveys work without an account."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.auth import client_ip
from app.core.forms import Conflict, Form
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.core.web import actor, form_data, redirect, render
from app.ops import access, custom_forms, surveys
from app.ops.registrations import FormErrors
from app.ops.routes import service_errors


async def _shown(survey_id: int) -> dict:
    with service_errors():
        row = await surveys.get(survey_id)
    if row["status"] == "draft":
        raise NotFoundException()
    return row


async def _page(request: Request, survey: dict, form: Form | None = None, error: str = "",
                status: int = 200) -> Response:
    items = await custom_forms.questions(survey["form"])
    who = actor(request)
    return await render(request, "ops/h5/survey.html", survey=survey, questions=items,
                        form=form or Form(custom_forms.core_fields(items)), error=error, status=status,
                        done=await surveys.answered(who.id, survey) if survey["once"] else False,
                        share_title=survey["title"], share_description=survey["description"][:120])


@get("/h5/surveys/{survey_id:int}")
async def survey_page(request: Request, survey_id: int) -> Response:
    survey = await _shown(survey_id)
    if not survey["public"] and actor(request).id is None:
        return redirect(request, f"/login?next=/h5/surveys/{survey_id}")
    return await _page(request, survey)


@post("/h5/surveys/{survey_id:int}")
async def survey_submit(request: Request, survey_id: int) -> Response:
    survey = await _shown(survey_id)
    data = await form_data(request)
    for key, value in list(data.items()):
        if hasattr(value, "filename"):
            data[key] = custom_forms.Upload(value.filename, await value.read()) if value.filename else None
    try:
        await surveys.submit(actor(request), survey_id, data, ip=client_ip(request.scope))
    except FormErrors as exc:
        return await _page(request, survey, exc.form, status=422)
    except Conflict as exc:
        return await _page(request, survey, Form(custom_forms.core_fields(await custom_forms.questions(
            survey["form"])), data=data), str(exc), 409)
    except access.NotAllowed:
        raise PermissionDenied() from None
    return await render(request, "ops/h5/survey_done.html", survey=survey, message=_("Thank you for your answers."))


ROUTES = [survey_page, survey_submit]

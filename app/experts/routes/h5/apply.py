"""The public multi-step application (EXP-01, EXP-02, EXP-10): from the PC site, WeChat, a shared link or a QR.
The phone is proved by an SMS code first (that also resumes a saved draft on any device), then three steps that
each save as a draft, the email proved by a code, and submit. Plain forms: works without JavaScript."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.auth import client_ip
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.ratelimit import rate_limit
from app.core.web import form_data, redirect, render
from app.experts import applications, recommendations, taxonomy
from app.experts.routes.h5 import application_id, forget_application, remember_application

BASE = "/experts/apply"
TEMPLATE = "experts/h5/apply.html"
GENDERS = [("男", L("Male")), ("女", L("Female"))]
TYPES = [("individual", L("Individual expert")), ("organisation", L("Organisation expert"))]


def phone_fields() -> list[Field]:
    return [Field("phone", L("Mobile number"), "phone", required=True, max_length=20),
            Field("code", L("Verification code"), max_length=6)]


async def step_fields(step: int) -> list[Field]:
    if step == 1:
        return [Field("name", L("Name"), required=True, max_length=64),
                Field("gender", L("Gender"), "select", choices=GENDERS),
                Field("birth_date", L("Date of birth"), "date"),
                Field("email", L("Email"), "email", required=True, max_length=254,
                      help=L("We send a code to this address to confirm it."))]
    if step == 2:
        return [Field("employer", L("Employer"), max_length=200),
                Field("title", L("Professional title"), max_length=64, placeholder=L("e.g. 高级工程师")),
                Field("specialty", L("Specialty"), max_length=200),
                Field("industry", L("Industry"), max_length=64),
                Field("region", L("Region"), max_length=64),
                Field("postcode", L("Postcode"), max_length=16),
                Field("expert_type", L("Expert type"), "select", choices=TYPES),
                Field("fields", L("Fields of expertise"), "multiselect", choices=await taxonomy.choices())]
    return [Field("email_code", L("Email code"), max_length=6)]


async def _phone_page(request: Request, data: dict, *, step: str = "phone", errors: dict | None = None,
                      status: int = 200, rec_error: str = "") -> Response:
    form = Form(phone_fields(), data=data, errors=errors or {})
    return await render(request, TEMPLATE, form=form, stage=step, rec=data.get("rec", ""), rec_error=rec_error,
                        status=status, share_title=_("Apply to the expert pool"))


async def _current(request: Request) -> dict | None:
    app_id = application_id(request)
    if app_id is None:
        return None
    try:
        return await applications.get(app_id)
    except applications.NotFound:
        return None


@get(BASE)
async def apply_start(request: Request) -> Response:
    rec = request.query_params.get("rec", "")
    current = await _current(request)
    if current and not rec:
        return redirect(request, f"{BASE}/step/{current['step']}" if current["status"] == "draft"
                        else f"{BASE}/status")
    rec_error, data = "", {"rec": rec}
    if rec:
        try:
            found = await recommendations.resolve(rec)
            data["phone"] = found["phone"]
        except Invalid as exc:
            rec_error, data["rec"] = exc.message, ""
    return await _phone_page(request, data, rec_error=rec_error, status=410 if rec_error else 200)


@post(f"{BASE}/code", guards=[rate_limit("exp_apply_code", 20, 60)])
async def apply_send_code(request: Request) -> Response:
    data = await form_data(request)
    try:
        data["phone"] = await applications.request_phone_code(data.get("phone", ""), client_ip(request.scope))
    except Invalid as exc:
        return await _phone_page(request, data, errors={exc.field: exc.message}, status=422)
    return await _phone_page(request, data, step="code")


@post(f"{BASE}/verify", guards=[rate_limit("exp_apply_verify", 30, 60)])
async def apply_verify(request: Request) -> Response:
    data = await form_data(request)
    try:
        app_id = await applications.open_with_code(data.get("phone", ""), data.get("code", ""),
                                                   client_ip(request.scope), data.get("rec", ""))
    except Invalid as exc:
        return await _phone_page(request, data, step="code", errors={exc.field: exc.message}, status=422)
    row = await applications.get(app_id)
    target = f"{BASE}/step/{row['step']}" if row["status"] == "draft" else f"{BASE}/status"
    return remember_application(redirect(request, target, _("Phone number confirmed.")), app_id)


async def _step_page(request: Request, row: dict, step: int, data: dict, errors: dict | None = None,
                     status: int = 200) -> Response:
    form = Form(await step_fields(step), data=data, errors=errors or {})
    labels = await taxonomy.labels([int(v) for v in row["data"].get("fields", [])])
    return await render(request, TEMPLATE, form=form, stage="step", step=step, row=row, field_labels=labels,
                        status=status, share_title=_("Apply to the expert pool"))


async def _draft(request: Request) -> dict | Response:
    row = await _current(request)
    if row is None:
        return redirect(request, BASE, _("Confirm your phone number to start or resume your application."), "error")
    if row["status"] != "draft":
        return redirect(request, f"{BASE}/status")
    return row


@get(f"{BASE}/step/{{step:int}}")
async def apply_step(request: Request, step: int) -> Response:
    row = await _draft(request)
    if isinstance(row, Response):
        return row
    step = step if step in applications.STEPS else 1
    return await _step_page(request, row, step, row["data"])


@post(f"{BASE}/step/{{step:int}}")
async def apply_step_save(request: Request, step: int) -> Response:
    row = await _draft(request)
    if isinstance(row, Response):
        return row
    data = await form_data(request)
    if step == applications.LAST_STEP:
        return redirect(request, f"{BASE}/step/{step}")
    if "fields" in data and not isinstance(data["fields"], list):
        data["fields"] = [data["fields"]]
    try:
        await applications.save_step(row["id"], step, data, client_ip(request.scope))
    except (Invalid, Conflict) as exc:
        errors = {exc.field: exc.message} if isinstance(exc, Invalid) else {"__all__": str(exc)}
        return await _step_page(request, row, step, data, errors, 422)
    if data.get("action") == "draft":
        return redirect(request, f"{BASE}/step/{step}", _("Draft saved. You can come back to it at any time."))
    return redirect(request, f"{BASE}/step/{step + 1}")


@post(f"{BASE}/email-code", guards=[rate_limit("exp_apply_code", 20, 60)])
async def apply_email_code(request: Request) -> Response:
    row = await _draft(request)
    if isinstance(row, Response):
        return row
    try:
        await applications.send_email_code(row["id"], client_ip(request.scope))
    except Invalid as exc:
        return await _step_page(request, row, 3, {}, {exc.field: exc.message}, 422)
    return redirect(request, f"{BASE}/step/3", _("We sent a code to %(email)s.", email=row["email"]))


@post(f"{BASE}/email-verify", guards=[rate_limit("exp_apply_verify", 30, 60)])
async def apply_email_verify(request: Request) -> Response:
    row = await _draft(request)
    if isinstance(row, Response):
        return row
    data = await form_data(request)
    try:
        await applications.verify_email(row["id"], data.get("email_code", ""), client_ip(request.scope))
    except Invalid as exc:
        return await _step_page(request, row, 3, data, {exc.field: exc.message}, 422)
    return redirect(request, f"{BASE}/step/3", _("Email address confirmed."))


@post(f"{BASE}/submit")
async def apply_submit(request: Request) -> Response:
    row = await _draft(request)
    if isinstance(row, Response):
        return row
    try:
        await applications.submit(row["id"], client_ip(request.scope))
    except (Invalid, Conflict) as exc:
        errors = {exc.field: exc.message} if isinstance(exc, Invalid) else {"__all__": str(exc)}
        return await _step_page(request, row, 3, {}, errors, 422)
    return redirect(request, f"{BASE}/status", _("Application submitted."))


@get(f"{BASE}/status")
async def apply_status(request: Request) -> Response:
    row = await _current(request)
    if row is None:
        return redirect(request, BASE)
    return await render(request, TEMPLATE, stage="status", row=row, share_title=_("Apply to the expert pool"))


@post(f"{BASE}/forget")
async def apply_forget(request: Request) -> Response:
    return forget_application(redirect(request, BASE, _("This device no longer keeps your application.")))


ROUTES = [apply_start, apply_send_code, apply_verify, apply_step, apply_step_save, apply_email_code,
          apply_email_verify, apply_submit, apply_status, apply_forget]

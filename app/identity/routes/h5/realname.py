"""The alumni's real-name check on the phone (IDV-01): name, ID number and a face photo (the file input opens the
front camera on a phone, no JavaScript needed), then a result page saying what happened and what to do; the
page lists the user's own earlier checks. `next` (e.g. the claims page that sent the user here) is kept."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import login_required
from app.core.ratelimit import rate_limit
from app.core.web import actor, form_data, redirect, render, safe_next
from app.identity import realname

PAGE = "/h5/identity/realname"


def realname_form(data=None) -> Form:
    return Form([Field("name", L("Name on your ID card"), required=True, max_length=64),
                 Field("id_number", L("ID card number"), required=True, max_length=20,
                       placeholder=L("18 characters")),
                 Field("photo", L("Photo of your face"), "file", required=True,
                       help=L("A clear photo of your face, looking at the camera. JPEG or PNG, at most 5 MB."))],
                data or {})


def _h5(request: Request) -> dict:
    return {"share_title": _("Real-name check")}  # (in_wechat comes with every page's shell context)


def _next(request: Request, data: dict | None = None) -> str:
    return safe_next((data or {}).get("next") or request.query_params.get("next"), "")


async def _form_page(request: Request, form: Form, next_url: str, status: int = 200) -> Response:
    user_id = actor(request).id
    return await render(request, "identity/h5/realname.html", form=form, next=next_url, status=status,
                        history=await realname.history(user_id), left=await realname.checks_left(user_id),
                        passed=await realname.latest_passed(user_id), **_h5(request))


@get(PAGE, guards=[login_required])
async def realname_page(request: Request) -> Response:
    return await _form_page(request, realname_form(), _next(request))


@post(PAGE, guards=[login_required, rate_limit("realname", 10, 60)])
async def realname_submit(request: Request) -> Response:
    data = await form_data(request)
    form, next_url = realname_form(data), _next(request, data)
    if form.validate():
        upload = form.cleaned["photo"]
        try:
            row = await realname.check(actor(request).id, form.cleaned["name"], form.cleaned["id_number"],
                                       await upload.read(), upload.filename or "", actor=actor(request))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            query = "?" + urlencode({"next": next_url}) if next_url else ""
            return redirect(request, f"{PAGE}/{row['id']}{query}")
    return await _form_page(request, form, next_url, status=422)


@get(PAGE + "/{check_id:int}", guards=[login_required])
async def realname_result(request: Request, check_id: int) -> Response:
    try:
        row = await realname.get_own(actor(request).id, check_id)
    except realname.NotFound:
        raise NotFoundException() from None
    return await render(request, "identity/h5/realname_result.html", row=row, next=_next(request),
                        left=await realname.checks_left(actor(request).id), **_h5(request))


ROUTES = [realname_page, realname_submit, realname_result]

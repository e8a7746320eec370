"""SMS-code login (/login/sms) and binding a mobile number to one's account (/h5/me/phone), SUP-02. Both are
two plain form steps on one page — the number, then the code — so they work without JavaScript; `next` and a
pending external identity (`bind`, from the WeChat / SSO binding page) ride along in hidden fields."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.config import get_settings
from app.core import phones, sessions
from app.core.auth import SESSION_COOKIE, LoginRefused, client_ip
from app.core.forms import Form, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.ratelimit import rate_limit
from app.core.web import actor, form_data, redirect, render, safe_next
from app.identity import sms_codes, sms_login
from app.identity.sms_codes import CodeRefused
from app.support.routes import landing

LOGIN_TEMPLATE = "identity/login/sms.html"
PHONE_TEMPLATE = "identity/h5/sms_phone.html"


def _refusal_message(refused: LoginRefused) -> str:
    if refused.reason == "blocked":
        return _("Too many failed attempts. Login is blocked for about %(minutes)s minutes.",
                 minutes=refused.minutes_left)
    return _("This account is disabled. Contact the alumni office.")


async def _login_page(request: Request, form: Form, *, step: str, next_url: str, bind: str, status: int = 200,
                      seconds_left: int = 0) -> Response:
    bind_note = "" if not bind or sms_login.bind_available() else _(
        "Linking an external account is not available here. You can still log in with the code.")
    return await render(request, LOGIN_TEMPLATE, form=form, step=step, next=next_url, bind=bind, status=status,
                        seconds_left=seconds_left, minutes=sms_codes.CODE_MINUTES, bind_note=bind_note,
                        share_title=_("Log in with an SMS code"))


@get("/login/sms")
async def sms_login_page(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"), "")
    bind = (request.query_params.get("bind") or "")[:2000]
    if (user := request.scope.get("user")) and not bind:
        return redirect(request, next_url or landing(user))
    return await _login_page(request, sms_login.phone_form(), step="phone", next_url=next_url, bind=bind)


@post("/login/sms", guards=[rate_limit("sms_login", 30, 60)])
async def sms_login_submit(request: Request) -> Response:
    data = await form_data(request)
    next_url, bind = safe_next(data.get("next"), ""), str(data.get("bind") or "")[:2000]
    ip, ua = client_ip(request.scope), request.headers.get("user-agent", "")
    if data.get("action") != "login":  # "send" (first step) or "send again" from the code step
        form = sms_login.phone_form(data)
        if form.validate():
            try:
                sent = await sms_login.send_login_code(form.cleaned["phone"], ip)
            except CodeRefused as exc:
                if exc.reason == "cooldown":  # a code is on its way: let them type it
                    code_form = sms_login.code_form({"phone": form.cleaned["phone"]})
                    code_form.add_error("phone", exc.message)
                    return await _login_page(request, code_form, step="code", next_url=next_url, bind=bind,
                                             status=422, seconds_left=exc.seconds_left)
                form.add_error(exc.field, exc.message)
            except Invalid as exc:
                form.add_error(exc.field, exc.message)
            else:
                return await _login_page(request, sms_login.code_form({"phone": sent.phone}), step="code",
                                         next_url=next_url, bind=bind, seconds_left=sent.seconds_left)
        return await _login_page(request, form, step="phone", next_url=next_url, bind=bind, status=422)
    form = sms_login.code_form(data)
    if form.validate():
        try:
            done = await sms_login.login(form.cleaned["phone"], form.cleaned["code"], ip, ua, bind_token=bind)
        except LoginRefused as refused:
            form.add_error("", _refusal_message(refused))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return await _logged_in(request, done, next_url)
    phone = phones.normalise(form.value("phone"))
    return await _login_page(request, form, step="code", next_url=next_url, bind=bind, status=422,
                             seconds_left=await sms_codes.cooldown_left(phone, "login") if phone else 0)


async def _logged_in(request: Request, done: sms_login.SmsLogin, next_url: str) -> Response:
    ip, ua = client_ip(request.scope), request.headers.get("user-agent", "")
    cookie = await sessions.create(done.user_id, ip, ua)
    user = (await sessions.state(done.user_id, fresh=True)).user
    target = next_url or (landing(user) if user else "/h5")
    if done.bind_error:
        response = redirect(request, target, done.bind_error, "warning")
    else:
        response = redirect(request, target, _("Welcome. An account was created for your mobile number.")
                            if done.created else None)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="lax", secure=get_settings().secure_cookies,
                        max_age=sessions.absolute_seconds(), path="/")
    return response


# --- /h5/me/phone: bind a (new) mobile number to the logged-in account -----------------------------------

async def _phone_page(request: Request, form: Form, *, step: str, status: int = 200, seconds_left: int = 0
                      ) -> Response:
    return await render(request, PHONE_TEMPLATE, form=form, step=step, status=status, seconds_left=seconds_left,
                        minutes=sms_codes.CODE_MINUTES, current=await sms_login.current_phone(actor(request).id),
                        share_title=_("Mobile number"))


@get("/h5/me/phone", guards=[login_required])
async def phone_page(request: Request) -> Response:
    return await _phone_page(request, sms_login.phone_form(), step="phone")


@post("/h5/me/phone", guards=[login_required, rate_limit("sms_bind", 20, 60)])
async def phone_submit(request: Request) -> Response:
    data = await form_data(request)
    who = actor(request)
    if data.get("action") != "confirm":
        form = sms_login.phone_form(data)
        if form.validate():
            try:
                sent = await sms_login.send_bind_code(who, form.cleaned["phone"])
            except CodeRefused as exc:
                if exc.reason == "cooldown":
                    code_form = sms_login.code_form({"phone": form.cleaned["phone"]})
                    code_form.add_error("phone", exc.message)
                    return await _phone_page(request, code_form, step="code", status=422,
                                             seconds_left=exc.seconds_left)
                form.add_error(exc.field, exc.message)
            except Invalid as exc:
                form.add_error(exc.field, exc.message)
            else:
                return await _phone_page(request, sms_login.code_form({"phone": sent.phone}), step="code",
                                         seconds_left=sent.seconds_left)
        return await _phone_page(request, form, step="phone", status=422)
    form = sms_login.code_form(data)
    if form.validate():
        try:
            phone = await sms_login.confirm_phone(who, form.cleaned["phone"], form.cleaned["code"])
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, "/h5/me/phone", _("Your mobile number is now %(phone)s.", phone=phone))
    return await _phone_page(request, form, step="code", status=422)


ROUTES = [sms_login_page, sms_login_submit, phone_page, phone_submit]

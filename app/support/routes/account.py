"""Login, logout, language, registration, password reset by signed link, profile, password change."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.config import get_settings
from app.core import auth, login_options, notify, sessions
from app.core.auth import LANG_COOKIE, SESSION_COOKIE, LoginRefused, client_ip
from app.core.forms import Invalid
from app.core.i18n import LOCALES
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.ratelimit import rate_limit
from app.core.security import TokenExpired, TokenInvalid
from app.core.web import actor, form_data, redirect, render, safe_next
from app.support import forms, users
from app.support.routes import H5_HOME, landing


def _set_session_cookie(response: Response, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="lax", secure=get_settings().secure_cookies,
                        max_age=sessions.absolute_seconds(), path="/")


@get("/", sync_to_thread=False)
def home(request: Request) -> Response:
    user = request.scope.get("user")
    return Response("", status_code=303, headers={"Location": landing(user) if user else "/login"})


@get("/login")
async def login_page(request: Request) -> Response:
    if user := request.scope.get("user"):
        return redirect(request, safe_next(request.query_params.get("next"), landing(user)))
    next_url = safe_next(request.query_params.get("next"), "")
    # ?password=1 keeps the form even where a module would take over (WeChat → WeChat OAuth).
    if request.query_params.get("password") != "1" and (url := await login_options.auto_redirect(request.scope,
                                                                                                    next_url)):
        return redirect(request, url)
    return await render(request, "support/admin/login.html", form=forms.login_form(), next=next_url,
                        options=await login_options.options(request.scope, next_url))


@post("/login", guards=[rate_limit("login", 30, 60)])
async def login_submit(request: Request) -> Response:
    data = await form_data(request)
    form = forms.login_form(data)
    if form.validate():
        try:
            user_id = await auth.authenticate(form.cleaned["username"], form.cleaned["password"],
                                              client_ip(request.scope), request.headers.get("user-agent", ""))
        except LoginRefused as refused:
            if refused.reason == "blocked":
                form.add_error("", _("Too many failed attempts. Login is blocked for about %(minutes)s minutes.",
                                     minutes=refused.minutes_left))
            elif refused.reason == "disabled":
                form.add_error("", _("This account is disabled. Contact the alumni office."))
            else:
                form.add_error("", _("Wrong username or password."))
        else:
            cookie = await sessions.create(user_id, client_ip(request.scope), request.headers.get("user-agent", ""))
            response = redirect(request, safe_next(data.get("next"), await _landing_of(user_id)))
            _set_session_cookie(response, cookie)
            return response
    next_url = safe_next(data.get("next"), "")
    return await render(request, "support/admin/login.html", form=form, next=next_url, status=422,
                        options=await login_options.options(request.scope, next_url))


@post("/logout")
async def logout(request: Request) -> Response:
    if user := request.scope.get("user"):
        await sessions.end(user.session_id, user.id)
    response = redirect(request, "/login", _("You have logged out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@post("/lang")
async def switch_language(request: Request) -> Response:
    data = await form_data(request)
    lang = data.get("lang") if data.get("lang") in LOCALES else "zh_CN"
    response = redirect(request, safe_next(data.get("next"), "/"))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/", httponly=True,
                        secure=get_settings().secure_cookies)
    return response


@get("/register")
async def register_page(request: Request) -> Response:
    return await render(request, "support/admin/register.html", form=forms.register_form())


async def _landing_of(user_id: int) -> str:
    user = (await sessions.state(user_id, fresh=True)).user
    return landing(user) if user else "/login"


@post("/register", guards=[rate_limit("register", 10, 600)])
async def register_submit(request: Request) -> Response:
    """A new account is logged in at once and lands on its H5 home (the mall and orders one tap away)."""
    form = forms.register_form(await form_data(request))
    if form.validate():
        ip, agent = client_ip(request.scope), request.headers.get("user-agent", "")
        try:
            user_id = await users.register(**form.cleaned, ip=ip)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            await auth.record_login(form.cleaned["username"], user_id, ip, agent, "registered")
            name = form.cleaned.get("name") or form.cleaned["username"]
            response = redirect(request, H5_HOME, _("Welcome, %(name)s.", name=name))
            _set_session_cookie(response, await sessions.create(user_id, ip, agent))
            return response
    return await render(request, "support/admin/register.html", form=form, status=422)


@get("/password/forgot")
async def forgot_page(request: Request) -> Response:
    return await render(request, "support/admin/forgot.html", form=forms.forgot_form())


@post("/password/forgot", guards=[rate_limit("forgot", 5, 600)])
async def forgot_submit(request: Request) -> Response:
    form = forms.forgot_form(await form_data(request))
    if not form.validate():
        return await render(request, "support/admin/forgot.html", form=form, status=422)
    found = await users.reset_token_for(form.cleaned["email"])
    if found:
        user, token = found
        link = f"{get_settings().public_url()}/password/reset/{token}"
        await notify.notify([user["id"]], "password_reset", {"name": user["name"] or user["username"], "link": link,
                                                             "minutes": users.RESET_MAX_AGE // 60},
                            channels=["email"])
    # Same answer whether or not the address exists: no account enumeration.
    return redirect(request, "/login", _("If that address belongs to an account, a reset link is on its way."))


async def _reset_refused(request: Request, exc: Exception) -> Response:
    message = (_("This reset link has expired. Ask for a new one.") if isinstance(exc, TokenExpired)
               else _("This reset link is not valid. It may have been used already or altered."))
    return await render(request, "support/admin/reset_refused.html", message=message, status=400)


@get("/password/reset/{token:str}")
async def reset_page(request: Request, token: str) -> Response:
    try:
        await users.user_for_reset_token(token)
    except (TokenExpired, TokenInvalid) as exc:
        return await _reset_refused(request, exc)
    return await render(request, "support/admin/reset.html", form=forms.reset_form(), token=token)


@post("/password/reset/{token:str}", guards=[rate_limit("reset", 10, 600)])
async def reset_submit(request: Request, token: str) -> Response:
    form = forms.reset_form(await form_data(request))
    if form.validate():
        if form.cleaned["password"] != form.cleaned["password2"]:
            form.add_error("password2", _("The two passwords differ."))
        else:
            try:
                await users.reset_with_token(token, form.cleaned["password"], client_ip(request.scope))
            except (TokenExpired, TokenInvalid) as exc:
                return await _reset_refused(request, exc)
            except Invalid as exc:
                form.add_error(exc.field, exc.message)
            else:
                return redirect(request, "/login", _("Your password has been changed. Please log in."))
    return await render(request, "support/admin/reset.html", form=form, token=token, status=422)


@get("/admin/profile", guards=[login_required])
async def profile_page(request: Request) -> Response:
    row = await users.get_profile(request.scope["user"].id)
    return await render(request, "support/admin/profile.html", form=forms.profile_form(row),
                        pw_form=forms.password_form(), profile=row)


@post("/admin/profile", guards=[login_required])
async def profile_submit(request: Request) -> Response:
    form = forms.profile_form(await form_data(request))
    if form.validate():
        try:
            upload = form.cleaned.get("avatar")
            if getattr(upload, "filename", None):  # first, so a refused photo changes nothing else
                await users.set_avatar(actor(request), upload.filename, await upload.read())
            await users.update_profile(actor(request), **{k: form.cleaned[k] for k in ("name", "email", "phone")},
                                       lang=form.cleaned["lang"] or "")
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, "/admin/profile", _("Profile saved."))
    profile = await users.get_profile(request.scope["user"].id)
    return await render(request, "support/admin/profile.html", form=form, pw_form=forms.password_form(),
                        profile=profile, status=422)


@post("/admin/password", guards=[login_required])
async def password_submit(request: Request) -> Response:
    form = forms.password_form(await form_data(request))
    if form.validate():
        if form.cleaned["password"] != form.cleaned["password2"]:
            form.add_error("password2", _("The two passwords differ."))
        else:
            try:
                await users.change_own_password(actor(request), form.cleaned["current"], form.cleaned["password"])
            except Invalid as exc:
                form.add_error(exc.field, exc.message)
            else:
                response = redirect(request, "/login", _("Password changed. Please log in again."))
                response.delete_cookie(SESSION_COOKIE, path="/")
                return response
    row = await users.get_profile(request.scope["user"].id)
    return await render(request, "support/admin/profile.html", form=forms.profile_form(row), pw_form=form,
                        profile=row, status=422)


@post("/admin/logout-everywhere", guards=[login_required])
async def logout_everywhere(request: Request) -> Response:
    await users.log_out_everywhere(actor(request), request.scope["user"].id)
    response = redirect(request, "/login", _("You have logged out on every device."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ROUTES = [home, login_page, logout_everywhere, login_submit, logout, switch_language, register_page, register_submit,
          forgot_page, forgot_submit, reset_page, reset_submit, profile_page, profile_submit, password_submit]

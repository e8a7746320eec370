"""School single sign-on (SUP-05): /auth/sso/<code>/start → the CAS or OIDC server → /auth/sso/<code>/callback,
and the binding page /auth/bind for an external account that is not linked to a local one yet. The
helpers at the top are shared with the WeChat routes (routes/wechat.py)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.config import get_settings
from app.core import sessions
from app.core.auth import SESSION_COOKIE, LoginRefused, client_ip
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.ratelimit import rate_limit
from app.core.security import TokenExpired, TokenInvalid
from app.core.web import form_data, redirect, render, safe_next
from app.identity import providers, sso_login
from app.identity.external import PENDING_COOKIE, PENDING_MAX_AGE, STATE_COOKIE, LoginFailed
from app.identity.providers import Provider
from app.support.routes import landing

ADMIN_LAYOUT, H5_LAYOUT = "layouts/admin.html", "layouts/h5.html"
REGISTER_FIELDS = {"username": "new_username", "name": "real_name", "email": "new_email"}  # service → form
REFUSED_STATUS = {"disabled": 403, "blocked": 429, "idp_unreachable": 502}


def password_form(data: dict | None = None) -> Form:
    return Form([Field("username", L("Username or email"), required=True, max_length=254),
                 Field("password", L("Password"), "password", required=True, max_length=200)], data or {})


def register_form(data: dict | None = None) -> Form:
    """Field names differ from the password form's: both forms are on one page (one id per field)."""
    return Form([Field("new_username", L("Username"), required=True, min_length=3, max_length=64),
                 Field("real_name", L("Real name"), required=True, max_length=64),
                 Field("new_email", L("Email"), "email", max_length=254)], data or {})


# --- shared with routes/wechat.py ------------------------------------------------------------------------

def who(request: Request) -> tuple[str, str]:
    return client_ip(request.scope), request.headers.get("user-agent", "")


def layout_for(provider: Provider) -> str:
    """WeChat logins happen on the phone pages; school SSO on the desktop-style login card."""
    return H5_LAYOUT if provider.kind == "wechat" else ADMIN_LAYOUT


async def provider_or_404(code: str, kinds: tuple[str, ...]) -> Provider:
    provider = await providers.by_code(code)
    if provider is None or provider.kind not in kinds:
        raise NotFoundException()
    return provider


def _cookie(response: Response, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=get_settings().secure_cookies,
                        max_age=max_age, path=path)


def set_state_cookie(response: Response, state: str) -> Response:
    _cookie(response, STATE_COOKIE, state, 600, "/auth/")
    return response


async def landing_of(user_id: int) -> str:
    user = (await sessions.state(user_id, fresh=True)).user
    return landing(user) if user else "/login"


async def start_response(request: Request, provider: Provider) -> Response:
    """Off to the provider: `?next=` kept (local paths only), `?link=1` from a logged-in user adds the
    provider to their account instead of logging in."""
    user = request.scope.get("user")
    next_url = safe_next(request.query_params.get("next"), "")
    link_user = user.id if user and request.query_params.get("link") == "1" else None
    try:
        url, state = await sso_login.start(provider, *who(request), next_url=next_url, link_user_id=link_user)
    except LoginFailed as failed:
        return await refused_page(request, provider, failed)
    return set_state_cookie(redirect(request, url), state)


async def refused_page(request: Request, provider: Provider, failed: LoginFailed) -> Response:
    start = f"/auth/{'wechat' if provider.kind == 'wechat' else 'sso'}/{provider.code}/start"
    return await render(request, "identity/login/refused.html", layout=layout_for(provider), provider=provider,
                        message=failed.message, retry=start, status=REFUSED_STATUS.get(failed.reason, 400),
                        share_title=_("Login refused"))


async def conclude(request: Request, outcome: sso_login.Outcome) -> Response:
    """Where a callback leads: logged in, on to the binding page, linked, or once more to the provider."""
    if outcome.kind == "redirect":
        return set_state_cookie(redirect(request, outcome.url), outcome.state)
    if outcome.kind == "pending":
        response = redirect(request, "/auth/bind")
        _cookie(response, PENDING_COOKIE, outcome.pending, PENDING_MAX_AGE)
    elif outcome.kind == "linked":
        response = redirect(request, safe_next(outcome.url, "/h5/me/logins"), _("The login was linked to your "
                                                                               "account."))
    else:
        target = safe_next(outcome.url, await landing_of(outcome.user_id))
        response = redirect(request, target, _("Welcome, %(name)s.", name=outcome.name))
        _cookie(response, SESSION_COOKIE, outcome.cookie, sessions.absolute_seconds())
        response.delete_cookie(PENDING_COOKIE, path="/")
    response.delete_cookie(STATE_COOKIE, path="/auth/")
    return response


# --- school SSO ----------------------------------------------------------------------------------------

@get("/auth/sso/{code:str}/start")
async def sso_start(request: Request, code: str) -> Response:
    return await start_response(request, await provider_or_404(code, ("cas", "oidc")))


@get("/auth/sso/{code:str}/callback")
async def sso_callback(request: Request, code: str) -> Response:
    provider = await provider_or_404(code, ("cas", "oidc"))
    user = request.scope.get("user")
    try:
        outcome = await sso_login.finish_sso(provider, dict(request.query_params), *who(request),
                                             browser_state=request.cookies.get(STATE_COOKIE, ""),
                                             current_user=user.id if user else None)
    except LoginFailed as failed:
        return await refused_page(request, provider, failed)
    return await conclude(request, outcome)


# --- the binding page ------------------------------------------------------------------------------------

async def _bind_page(request: Request, found: sso_login.Pending, *, login: Form | None = None,
                     register: Form | None = None, status: int = 200) -> Response:
    prefilled = {REGISTER_FIELDS[k]: v for k, v in found.prefill().items()}
    return await render(request, "identity/login/bind.html", layout=layout_for(found.provider), pending=found,
                        login_form=login or password_form(), register_form=register or register_form(prefilled),
                        bind_token=request.cookies.get(PENDING_COOKIE, ""),
                        share_title=_("Link your account"), status=status)


async def _expired(request: Request) -> Response:
    return await render(request, "identity/login/bind_expired.html", layout=ADMIN_LAYOUT, status=400,
                        share_title=_("Link your account"))


async def _pending(request: Request) -> sso_login.Pending | None:
    try:
        return await sso_login.pending(request.cookies.get(PENDING_COOKIE, ""))
    except (TokenInvalid, TokenExpired):
        return None


@get("/auth/bind")
async def bind_page(request: Request) -> Response:
    found = await _pending(request)
    return await _bind_page(request, found) if found else await _expired(request)


def _refusal_text(refused: LoginRefused) -> str:
    if refused.reason == "blocked":
        return _("Too many failed attempts. Login is blocked for about %(minutes)s minutes.",
                 minutes=refused.minutes_left)
    if refused.reason == "disabled":
        return _("This account is disabled. Contact the alumni office.")
    return _("Wrong username or password.")


@post("/auth/bind", guards=[rate_limit("login", 30, 60)])
async def bind_with_password(request: Request) -> Response:
    """(a) Link to an existing account by its password (the lockout of the password form applies)."""
    found = await _pending(request)
    if found is None:
        return await _expired(request)
    form = password_form(await form_data(request))
    if form.validate():
        try:
            outcome = await sso_login.link_with_password(request.cookies.get(PENDING_COOKIE, ""),
                                                         form.cleaned["username"], form.cleaned["password"],
                                                         *who(request))
        except LoginRefused as refused:
            form.add_error("", _refusal_text(refused))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except (TokenInvalid, TokenExpired):
            return await _expired(request)
        else:
            return await conclude(request, outcome)
    return await _bind_page(request, found, login=form, status=422)


@post("/auth/bind/register", guards=[rate_limit("register", 10, 600)])
async def bind_with_new_account(request: Request) -> Response:
    """(c) A new account, prefilled from what the provider says, linked at once."""
    found = await _pending(request)
    if found is None:
        return await _expired(request)
    form = register_form(await form_data(request))
    if form.validate():
        try:
            outcome = await sso_login.link_by_register(
                request.cookies.get(PENDING_COOKIE, ""), username=form.cleaned["new_username"],
                name=form.cleaned["real_name"], email=form.cleaned["new_email"], ip=who(request)[0], ua=who(request)[1])
        except Invalid as exc:
            form.add_error(REGISTER_FIELDS.get(exc.field, exc.field), exc.message)
        except LoginFailed as failed:
            form.add_error("", failed.message)
        except (TokenInvalid, TokenExpired):
            return await _expired(request)
        else:
            return await conclude(request, outcome)
    return await _bind_page(request, found, register=form, status=422)


ROUTES = [sso_start, sso_callback, bind_page, bind_with_password, bind_with_new_account]

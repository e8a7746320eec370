"""The HTTP side of the hypermedia conventions: one `render` for full pages and htmx blocks,
303/HX-Redirect after writes, flash messages, error pages, and the Jinja environment."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from app.config import ROOT, get_settings
from app.core import api_errors, i18n
from app.core.audit import Actor
from app.core.auth import client_ip
from app.core.permissions import NotAuthenticated, PermissionDenied
from app.core.security import TokenInvalid, sign, unsign
from app.core.urls import query_url

FLASH_COOKIE = "tc_flash"
# Per-request hook filled by app.main: async fn(request) -> dict of shell data (menu, counts).
shell_context_providers: list = []


@lru_cache
def static_version(path: str) -> str:
    try:
        return hashlib.md5((ROOT / "static" / path).read_bytes()).hexdigest()[:8]
    except OSError:
        return "0"


def _static(path: str) -> str:
    return f"/static/{path}?v={static_version(path)}"


def _csrf_token(request: Request) -> str:
    return ScopeState.from_scope(request.scope).csrf_token or ""


def _csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="_csrf_token" value="%s">') % _csrf_token(request)


def make_environment() -> Environment:
    env = Environment(loader=FileSystemLoader([str(ROOT / "views"), str(ROOT)]),
                      autoescape=select_autoescape(["html", "xml", "svg"]), extensions=["jinja2.ext.i18n"],
                      trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(static=_static, csrf_value=_csrf_token, csrf_field=_csrf_input, query=query_url,
                       LOCALES=i18n.LOCALES, current_locale=i18n.current_locale.get)
    from app.core import cells, charts, money, qrcodes

    env.filters["yuan"] = money.yuan
    env.globals.update(charts.TEMPLATE_GLOBALS)
    env.globals.update(qrcodes.TEMPLATE_GLOBALS)
    env.globals.update(cells.TEMPLATE_GLOBALS)
    _register_component_macros(env)
    return env


def _register_component_macros(env: Environment) -> None:
    """Every macro in components/ is a global, so a block rendered alone for htmx (which skips the
    template's top-level imports) still finds data_table, pager, fields…"""
    from jinja2.runtime import Macro

    for path in sorted((ROOT / "components").glob("*.html")):
        module = env.get_template(f"components/{path.name}").module
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, Macro) and not name.startswith("_"):
                env.globals[name] = value


@lru_cache
def environment() -> Environment:
    return make_environment()


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def wants_fragment(request: Request) -> bool:
    """Only the changed block for htmx requests that target an element (not boosted navigation)."""
    return is_htmx(request) and request.headers.get("hx-boosted") != "true" and bool(request.headers.get("hx-target"))


def actor(request: Request) -> Actor:
    user = request.scope.get("user")
    if user is None:
        return Actor(None, "anonymous", client_ip(request.scope), perms=frozenset())
    return Actor.of(user, client_ip(request.scope))


def _pop_flash(request: Request) -> list[dict]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        return unsign("flash", raw, max_age=600)
    except Exception:
        return []


async def render(request: Request, template: str, *, block: str | None = None, status: int = 200,
                 headers: dict | None = None, **context: Any) -> Response:
    env = environment()
    tmpl = env.get_template(template)
    ctx = {"request": request, "user": request.scope.get("user"), **context}
    fragment = block is not None and wants_fragment(request)
    flashes = [] if fragment else _pop_flash(request)
    if not fragment:
        for provider in shell_context_providers:
            ctx.update(await provider(request))
    ctx["flashes"] = flashes
    html = "".join(tmpl.blocks[block](tmpl.new_context(ctx))) if fragment else tmpl.render(ctx)
    response = Response(content=html, status_code=status, media_type="text/html",
                        headers=headers or {})
    if flashes:
        response.delete_cookie(FLASH_COOKIE)
    return response


async def h5_confirm_page(request: Request, title: str, message: str, action: str, cancel: str, *, field: str = "",
                          field_label: str = "", required: bool = False, value: str = "", error: str = "",
                          maxlength: int = 500, hidden: dict | None = None, status: int = 200) -> Response:
    """confirm_page on a phone (layouts/h5.html), optionally asking for one text value (`field`: a reason, a
    note) and carrying hidden inputs; every module's H5 confirm step renders this one template."""
    return await render(request, "common/h5_confirm.html", title=title, message=message, action=action, cancel=cancel,
                        field=field, field_label=field_label, required=required, value=value, error=error,
                        maxlength=maxlength, hidden=hidden or {}, status=status, share_title=title)


async def confirm_page(request: Request, title: str, message: str, action: str, cancel: str) -> Response:
    """The confirmation step before a destructive action: a page with a POST form (works without JS)."""
    return await render(request, "common/confirm.html", title=title, message=message, action=action, cancel=cancel)


def flash(response: Response, message: str, level: str = "success") -> Response:
    response.set_cookie(FLASH_COOKIE, sign("flash", [{"message": str(message), "level": level}]), httponly=True,
                        samesite="lax", secure=get_settings().secure_cookies, path="/")
    return response


def redirect(request: Request, url: str, message: str | None = None, level: str = "success") -> Response:
    """After a successful write: 303 for plain forms, HX-Redirect for htmx."""
    if is_htmx(request):
        response = Response(content="", status_code=200, headers={"HX-Redirect": url})
    else:
        response = Response(content="", status_code=303, headers={"Location": url})
    if message:
        flash(response, message, level)
    return response


async def submit(request: Request, form, action, url: str, message: str) -> Response | None:
    """The write half of every form handler: validate, run `action(form.cleaned)`, and redirect with
    a flash on success. A rule broken in the service (Invalid) becomes that field's message; None
    means "show the form again" (the caller renders it with status 422)."""
    from app.core.forms import Invalid

    if not form.validate():
        return None
    try:
        await action(form.cleaned)
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return None
    return redirect(request, url, message)


_URL_SAFE = "/?&=%#:;,+@!$'()*[]~-._"


def safe_next(url: str | None, default: str = "/admin") -> str:
    """Only local paths as redirect targets (no open redirect). Browsers drop tabs and newlines from a
    URL and read a backslash as a slash, so `/\t/evil` or `/\\evil` would leave the site: any control
    character or backslash refuses the target. Non-ASCII is percent-encoded (a header is Latin-1)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return default
    return quote(url, safe=_URL_SAFE)


async def form_data(request: Request) -> dict[str, Any]:
    """Form fields as a dict; repeated keys (multi-selects) become lists."""
    form = await request.form()
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "_csrf_token":
            continue
        if key in out:
            out[key] = out[key] if isinstance(out[key], list) else [out[key]]
            out[key].append(value)
        else:
            out[key] = value
    return out


# --- error pages (Litestar exception handlers are synchronous: no shell data, just the message) ----

def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    try:
        html = environment().get_template("errors/error.html").render(
            request=request, user=request.scope.get("user"), flashes=[], title=title, message=message,
            site_name="同窗" if i18n.current_locale.get() == "zh_CN" else "Tongchuang")
    except Exception:
        return Response(f"{status} {title}: {message}", status_code=status, media_type="text/plain; charset=utf-8")
    return Response(html, status_code=status, media_type="text/html")


INT4 = 2**31  # every primary key is a PostgreSQL integer


def int_param(value: Any, lo: int = -INT4, hi: int = INT4 - 1) -> int | None:
    """A query or form value as an integer within [lo, hi], else None: the one parser for ids and counts
    typed into URLs (huge or malformed numbers are "not given", never a database overflow)."""
    try:
        number = int(str(value).strip()) if value is not None and value != "" else None
    except ValueError:
        return None
    return number if number is not None and lo <= number <= hi else None


def page_param(value: Any) -> int:
    """A page number from the query string: 1 … pagination.MAX_PAGE."""
    from app.core.pagination import MAX_PAGE

    try:
        number = int(str(value).strip())
    except ValueError:
        return 1
    return min(MAX_PAGE, max(1, number))


def ids_in_range(request: Request) -> None:
    """App-wide before_request: an integer path parameter no row can have (≥ 2^31, below -2^31) is a 404
    here, instead of an overflow deep in the database driver."""
    for value in request.path_params.values():
        if isinstance(value, int) and not -INT4 <= value < INT4:
            raise NotFoundException()


def on_not_authenticated(request: Request, _: Exception) -> Response:
    target = "/login?next=" + quote(request.url.path + (("?" + request.url.query) if request.url.query else ""))
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": target})
    return Response("", status_code=303, headers={"Location": target})


def on_permission_denied(request: Request, _: Exception) -> Response:
    _ = i18n.gettext
    return _error_page(request, 403, _("Not allowed"),
                       _("You do not have permission to view this page or perform this action."))


def on_http_exception(request: Request, exc: HTTPException) -> Response:
    if api_errors.is_api(request):  # JSON clients get JSON errors, not the HTML page
        return api_errors.on_http_exception(request, exc)
    _ = i18n.gettext
    if exc.status_code == 403 and "csrf" in str(exc.detail).lower():
        return _error_page(request, 403, _("Form expired"),
                           _("The form was open too long or came from another site. Go back, reload and try again."))
    if isinstance(exc, NotFoundException) or exc.status_code == 404:
        return _error_page(request, 404, _("Not found"), _("The page you asked for does not exist."))
    if exc.status_code == 429:
        return _error_page(request, 429, _("Too many requests"), _("Please wait a moment and try again."))
    if exc.status_code == 405:
        return _error_page(request, 405, _("Not allowed"), _("This address does not accept that method."))
    if exc.status_code >= 500:
        return _error_page(request, exc.status_code, _("Server error"), _("Something went wrong on our side."))
    return _error_page(request, exc.status_code, _("Bad request"), str(exc.detail))


def _error_page_for(request: Request, exc: HTTPException) -> Response:
    """The error page, with the exception's own headers (e.g. Allow on a 405)."""
    response = on_http_exception(request, exc)
    for name, value in (getattr(exc, "headers", None) or {}).items():
        response.headers.setdefault(name, value)
    return response


def on_server_error(request: Request, exc: Exception) -> Response:
    if api_errors.is_api(request):
        return api_errors.on_server_error(request, exc)
    import logging

    logging.getLogger("tongchuang").error("unhandled error on %s", request.url.path, exc_info=exc)
    _ = i18n.gettext
    return _error_page(request, 500, _("Server error"), _("Something went wrong on our side."))


EXCEPTION_HANDLERS = {NotAuthenticated: on_not_authenticated, PermissionDenied: on_permission_denied,
                      TokenInvalid: on_permission_denied, HTTPException: _error_page_for,
                      500: on_server_error}

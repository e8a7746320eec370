"""create_app(): plugins, middleware, module registration."""
from __future__ import annotations

import importlib
import logging

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.plugins.jinja import JinjaTemplateEngine

from app.config import ROOT, get_settings
from app.core import db, i18n, sessions, warmup, web
from app.core.auth import session_middleware

# Every module that has routes: each exposes ROUTES (a list of handlers/controllers) and may expose
# `async def shell_context(request) -> dict` for the admin shell (counts in the top bar …).
ROUTE_MODULES = [
    "app.support.health_routes",
    "app.support.account_routes",
    "app.support.workbench_routes",
    "app.support.org_routes",
    "app.support.user_routes",
    "app.support.role_routes",
    "app.support.menu_routes",
    "app.support.dictionary_routes",
    "app.support.settings_routes",
    "app.support.security_routes",
    "app.support.audit_routes",
    "app.support.inbox_routes",
    "app.support.job_routes",
    "app.support.import_routes",
    "app.support.mailbox_routes",
    "app.support.message_routes",
    "app.support.print_routes",
    "app.support.export_routes",
    "app.support.file_routes",
    "app.support.h5_routes",
]
# Business modules: every `<module>/*_routes.py` is loaded (one file per topic, no central list to edit).
BUSINESS_MODULES = ["app.records", "app.points", "app.sms", "app.mall"]


def route_modules() -> list[str]:
    names = list(ROUTE_MODULES)
    for package in BUSINESS_MODULES:
        folder = ROOT / package.replace(".", "/")
        names += [f"{package}.{path.stem}" for path in sorted(folder.glob("*_routes.py"))]
    return names

SECURITY_HEADERS = [
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="X-Frame-Options", value="SAMEORIGIN"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Content-Security-Policy",
                   value="default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                         "script-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'self'"),
    ResponseHeader(name="Permissions-Policy", value="camera=(), microphone=(), geolocation=()"),
]


def _load_modules() -> list:
    handlers = []
    for name in route_modules():
        module = importlib.import_module(name)
        handlers.extend(module.ROUTES)
        if hasattr(module, "shell_context") and module.shell_context not in web.shell_context_providers:
            web.shell_context_providers.append(module.shell_context)
    return handlers


async def _on_startup() -> None:
    await db.start_pool()
    await sessions.start_listener()
    warmup.start()


async def _on_shutdown() -> None:
    await sessions.stop_listener()
    await db.close_pool()


def create_app(manage_pool: bool = True) -> Litestar:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    i18n.compile_catalogs()
    static = create_static_files_router(path="/static", directories=[ROOT / "static"], name="static",
                                        include_in_schema=False, cache_control=None)
    csrf = CSRFConfig(secret=settings.secret_key, cookie_name="tc_csrf", header_name="x-csrftoken",
                      cookie_secure=settings.secure_cookies, cookie_samesite="lax", cookie_httponly=False,
                      exclude=["/static", "/healthz", "/readyz", "/api/"])
    return Litestar(
        route_handlers=[static, *_load_modules()],
        middleware=[DefineMiddleware(session_middleware)],
        csrf_config=csrf,
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(web.environment())),
        exception_handlers=web.EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_request=web.ids_in_range,
        response_headers=SECURITY_HEADERS,
        on_startup=[_on_startup] if manage_pool else [],
        on_shutdown=[_on_shutdown] if manage_pool else [],
        request_max_body_size=60 * 1024 * 1024,
        debug=False,
    )

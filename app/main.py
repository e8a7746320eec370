"""create_app(): plugins, middleware, module registration."""
from __future__ import annotations

import logging

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app import modules
from app.config import ROOT, get_settings
from app.core import db, i18n, realtime, sessions, warmup, web
from app.core.auth import session_middleware
from app.core.modules import route_files

SECURITY_HEADERS = [
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="X-Frame-Options", value="SAMEORIGIN"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Content-Security-Policy",
                   value="default-src 'self'; img-src 'self' data: blob:; media-src 'self' https:; "
                         "style-src 'self' 'unsafe-inline'; "
                         "script-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'self'"),
    ResponseHeader(name="Permissions-Policy", value="camera=(), microphone=(), geolocation=()"),
]


def _load_modules() -> list:
    """Every installed module's route handlers (app/modules.py lists the modules, module.py their routes)."""
    handlers = []
    for module in modules.load():
        for routes in route_files(module):
            handlers.extend(routes.ROUTES)
            if hasattr(routes, "shell_context") and routes.shell_context not in web.shell_context_providers:
                web.shell_context_providers.append(routes.shell_context)
    return handlers


async def _on_startup() -> None:
    await db.start_pool()
    await sessions.start_listener()
    warmup.start()


async def _on_shutdown() -> None:
    await sessions.stop_listener()
    await realtime.stop()
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

"""Errors of every JSON API under /api/: `{"code", "message"[, "field"]}` with the right status, never the
HTML error page — also for addresses no route matches (404), wrong methods (405 with `Allow`) and
unexpected failures (500). app.core.web's handlers hand /api/ requests over to these."""
from __future__ import annotations

import json
import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException

from app.core import i18n

PREFIX = "/api/"
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def error_response(status: int, code: str, message: str, field: str = "", headers: dict | None = None,
                   **extra) -> Response:
    body = {"code": code, "message": message, **({"field": field} if field else {}), **extra}
    return Response(content=json.dumps(body, ensure_ascii=False, default=str).encode(), status_code=status,
                    media_type="application/json", headers=headers or {})


def _message(status: int, request: Request) -> str:
    _ = i18n.gettext
    messages = {400: _("The request is not valid."), 401: _("Missing, unknown, revoked or expired API key."),
                403: _("This request is not allowed."), 404: _("No such address in the API."),
                405: _("This address does not accept the method %(method)s.", method=request.method),
                413: _("The request body is too large."), 415: _("Send the request body as JSON."),
                429: _("Too many requests for this API key; slow down.")}
    return messages.get(status, _("The request was refused (HTTP %(status)s).", status=status))


def on_http_exception(request: Request, exc: HTTPException) -> Response:
    """Litestar's own refusals (no route, wrong method, unparsable path parameter …) as API errors; the
    headers they carry (`Allow` on 405) are kept."""
    if exc.status_code >= 500:
        return on_server_error(request, exc)
    headers = {k: v for k, v in (exc.headers or {}).items()}
    return error_response(exc.status_code, CODES.get(exc.status_code, "bad_request"),
                          _message(exc.status_code, request), headers=headers)


def on_server_error(request: Request, exc: Exception) -> Response:
    logging.getLogger("tongchuang").error("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(500, "server_error", i18n.gettext("Something went wrong on our side."))

"""The identity token API for school apps (SUP-08), under /api/identity (CSRF does not apply to /api/):
POST /token — OAuth 2 client credentials (RFC 6749 §4.4; client auth by HTTP Basic or in the body; errors as
§5.2), then with `Authorization: Bearer <token>`: GET /v1/users/{id} (profile.read) and
GET /v1/users/{id}/verification (verification.read). 401 for a missing, bad, expired or revoked token,
403 for a scope the token lacks, 429 above the client's rate (errors {"code", "message"}, as every /api/)."""
from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import unquote_plus

from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.core import api_errors
from app.core.i18n import gettext as _
from app.core.ratelimit import rate_limit
from app.identity import clients

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _on_api_error(_request: Request, exc: ApiError) -> Response:
    return api_errors.error_response(exc.status, exc.code, exc.message, headers=exc.headers)


def _on_token_error(_request: Request, exc: clients.TokenError) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="identity"'
    return Response(json.dumps({"error": exc.error, "error_description": exc.description}, ensure_ascii=False),
                    status_code=exc.status, media_type="application/json", headers=headers)


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=str).encode(), status_code=status,
                    media_type="application/json", headers=NO_STORE)


def _basic(header: str) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: the id and secret are form-urlencoded before the Basic encoding."""
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise clients.TokenError("invalid_client", _("Client authentication failed."), 401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise clients.TokenError("invalid_client", _("Client authentication failed."), 401)
    return unquote_plus(client_id), unquote_plus(secret)


@post("/token", guards=[rate_limit("idn-token-ip", 120, 60)], status_code=200)
async def token(request: Request) -> Response:
    form = await request.form()
    basic = _basic(request.headers.get("authorization", ""))
    if basic and (form.get("client_secret") or form.get("client_id") not in (None, basic[0])):
        raise clients.TokenError("invalid_request", _("Use one way of client authentication, not two."))
    client_id, secret = basic or (str(form.get("client_id") or ""), str(form.get("client_secret") or ""))
    issued = await clients.issue_token(client_id, secret, str(form.get("grant_type") or ""),
                                       form.get("scope") if form.get("scope") is not None else None)
    return _json(issued)


def bearer(scope: str):
    """Guard: a live token holding `scope`, within its client's rate; the token lands in request.state."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        header = connection.headers.get("authorization", "")
        raw = header[7:].strip() if header[:7].lower() == "bearer " else ""
        found = await clients.verify(raw)
        if found is None:
            raise ApiError(401, "unauthorized", _("Missing, unknown, expired or revoked access token."),
                           {"WWW-Authenticate": 'Bearer realm="identity", error="invalid_token"'})
        if not found.allows(scope):
            challenge = f'Bearer realm="identity", error="insufficient_scope", scope="{scope}"'
            raise ApiError(403, "insufficient_scope", _("This token lacks the scope “%(scope)s”.", scope=scope),
                           {"WWW-Authenticate": challenge})
        if not await clients.within_rate(found):
            raise ApiError(429, "rate_limited", _("Too many requests for this client; slow down."),
                           {"Retry-After": "60"})
        connection.state.client_token = found

    return guard


@get("/v1/users/{user_id:int}", guards=[bearer("profile.read")])
async def user_profile(user_id: int) -> Response:
    found = await clients.profile(user_id) if 1 <= user_id < 2**31 else None
    if found is None:
        raise ApiError(404, "not_found", _("No such user."))
    return _json(found)


@get("/v1/users/{user_id:int}/verification", guards=[bearer("verification.read")])
async def user_verification(user_id: int) -> Response:
    found = await clients.verification(user_id) if 1 <= user_id < 2**31 else None
    if found is None:
        raise ApiError(404, "not_found", _("No such user."))
    return _json(found)


ROUTES = [Router(path="/api/identity", route_handlers=[token, user_profile, user_verification],
                 exception_handlers={ApiError: _on_api_error, clients.TokenError: _on_token_error})]

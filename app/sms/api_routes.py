"""HTTP API of the SMS platform (SMS-01) under /api/sms/v1: JSON in and out, API key in
`Authorization: Bearer <key>`, scopes send / report / mo, a per-key rate limit, errors as
{"code", "message"[, "field"]}. CSRF does not apply to /api/ (app/main.py). The OpenAPI document is at
/api/sms/v1/openapi.json and a readable page at /api/sms/v1/docs."""
from __future__ import annotations

import json
from datetime import datetime

from litestar import Request, Response, Router, delete, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler

from app.core import ratelimit
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.web import render
from app.sms import apikeys, billing, openapi, outbox, reports, webhooks
from app.sms.apikeys import ApiKey

MAX_BATCH = 10_000
PAGE_MAX = 1000


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str = "", **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra


def _json(data, status: int = 200) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False, default=str).encode(), status_code=status,
                    media_type="application/json")


def _on_api_error(_request: Request, exc: ApiError) -> Response:
    body = {"code": exc.code, "message": exc.message, **({"field": exc.field} if exc.field else {}), **exc.extra}
    return _json(body, exc.status)


def _on_http_error(_request: Request, exc: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}
    return _json({"code": codes.get(exc.status_code, "bad_request"), "message": str(exc.detail)}, exc.status_code)


def scope(name: str):
    """Guard: a valid key with this scope, within its rate limit; the key lands in request.state."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        header = connection.headers.get("authorization", "")
        raw = header[7:].strip() if header[:7].lower() == "bearer " else ""
        key = await apikeys.verify(raw)
        if key is None:
            raise ApiError(401, "unauthorized", _("Missing, unknown, revoked or expired API key."))
        if not key.allows(name):
            raise ApiError(403, "forbidden", _("This API key lacks the scope “%(scope)s”.", scope=name))
        if not ratelimit.hit("sms-api", str(key.id), key.rate_per_sec, 1.0):
            raise ApiError(429, "rate_limited", _("Too many requests for this API key; slow down."))
        connection.state.api_key = key

    return guard


async def _body(request: Request) -> dict:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ApiError(400, "bad_json", _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("The request body must be a JSON object."))
    return data


def _when(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError(422, "invalid", _("Give scheduled_at as ISO 8601 with a time zone."), "scheduled_at") from None
    if when.tzinfo is None:
        raise ApiError(422, "invalid", _("Give scheduled_at as ISO 8601 with a time zone."), "scheduled_at")
    return when


def _int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(422, "invalid", _("Expected a number."), field) from None


async def _send(key: ApiKey, data: dict, to: list, *, per_number: dict | None = None) -> Response:
    if not isinstance(to, list) or not to:
        raise ApiError(422, "invalid", _("Give at least one number in “to”."), "to")
    if len(to) > MAX_BATCH:
        raise ApiError(422, "invalid", _("At most %(n)s numbers per request.", n=MAX_BATCH), "to")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise ApiError(422, "invalid", _("“params” must be an object."), "params")
    try:
        result = await outbox.send(key.account_id, to=[str(t) for t in to], text=data.get("text"),
                                   template_id=_int(data.get("template_id"), "template_id"), params=params,
                                   per_number=per_number, scheduled_at=_when(data.get("scheduled_at")),
                                   source="api", user_id=key.user_id, api_key_id=key.id,
                                   sender=str(data.get("sender") or "")[:21])
    except billing.InsufficientBalance as exc:
        raise ApiError(402, "insufficient_balance", exc.message, need=exc.need, balance=exc.have) from None
    except outbox.SendRefused as exc:
        raise ApiError(422, "no_valid_numbers", exc.message, "to",
                       rejected=[{"to": t, "reason": r} for t, r in exc.rejected]) from None
    except Invalid as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from None
    return _json({"batch_id": result.batch_id, "accepted": result.accepted, "segments": result.segments,
                  "cost": result.cost, "rejected": [{"to": t, "reason": r} for t, r in result.rejected]}, 202)


@post("/messages", guards=[scope("send")])
async def send_message(request: Request) -> Response:
    data = await _body(request)
    return await _send(request.state.api_key, data, [data["to"]] if data.get("to") else [])


@post("/batches", guards=[scope("send")])
async def send_batch(request: Request) -> Response:
    """Either `to` (list) with one text/template, or `messages: [{to, params}]` with a template."""
    data = await _body(request)
    items = data.get("messages")
    if items is not None:
        if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("to") for i in items):
            raise ApiError(422, "invalid", _("Each entry of “messages” needs “to”."), "messages")
        per_number = {str(i["to"]): i.get("params") or {} for i in items}
        return await _send(request.state.api_key, data, [str(i["to"]) for i in items], per_number=per_number)
    return await _send(request.state.api_key, data, data.get("to") or [])


@post("/template-messages", guards=[scope("send")])
async def send_template(request: Request) -> Response:
    data = await _body(request)
    if not data.get("template_id"):
        raise ApiError(422, "invalid", _("Give “template_id”."), "template_id")
    to = data.get("to")
    return await _send(request.state.api_key, {**data, "text": None}, to if isinstance(to, list) else [to] if to else [])


@get("/messages/{message_id:int}", guards=[scope("report")])
async def get_message(request: Request, message_id: int) -> Response:
    found = await reports.message(request.state.api_key.account_id, message_id)
    if found is None:
        raise ApiError(404, "not_found", _("No such message."))
    return _json(found)


@get("/batches/{batch_id:int}", guards=[scope("report")])
async def get_batch(request: Request, batch_id: int) -> Response:
    found = await reports.batch(request.state.api_key.account_id, batch_id)
    if found is None:
        raise ApiError(404, "not_found", _("No such batch."))
    return _json(found)


def _page(request: Request) -> tuple[int, int]:
    cursor = _int(request.query_params.get("cursor"), "cursor") or 0
    limit = min(PAGE_MAX, max(1, _int(request.query_params.get("limit"), "limit") or 100))
    return cursor, limit


@get("/reports", guards=[scope("report")])
async def pull_reports(request: Request) -> Response:
    items, cursor = await reports.reports_since(request.state.api_key.account_id, *_page(request))
    return _json({"reports": items, "next_cursor": cursor})


@get("/mo", guards=[scope("mo")])
async def pull_mo(request: Request) -> Response:
    items, cursor = await reports.mo_since(request.state.api_key.account_id, *_page(request))
    return _json({"mo": items, "next_cursor": cursor})


@get("/webhooks", guards=[scope("report")])
async def list_webhooks(request: Request) -> Response:
    rows = await webhooks.list_for(request.state.api_key.account_id)
    return _json({"webhooks": [{"id": r["id"], "url": r["url"], "events": r["events"]} for r in rows]})


@post("/webhooks", guards=[scope("report")])
async def create_webhook(request: Request) -> Response:
    data = await _body(request)
    events = data.get("events") or ["report", "mo"]
    try:
        row = await webhooks.create(request.state.api_key.account_id, str(data.get("url") or ""),
                                    [str(e) for e in events] if isinstance(events, list) else [])
    except Invalid as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from None
    return _json({"id": row["id"], "url": row["url"], "events": row["events"], "secret": row["secret"]}, 201)


@delete("/webhooks/{webhook_id:int}", guards=[scope("report")], status_code=200)
async def delete_webhook(request: Request, webhook_id: int) -> Response:
    if not await webhooks.delete(request.state.api_key.account_id, webhook_id):
        raise ApiError(404, "not_found", _("No such webhook."))
    return _json({"deleted": webhook_id})


@get("/openapi.json")
async def openapi_json() -> Response:
    return _json(openapi.document())


@get("/docs")
async def api_docs(request: Request) -> Response:
    return await render(request, "sms/api_docs.html", doc=openapi.document(), endpoints=openapi.endpoints())


ROUTES = [Router(path="/api/sms/v1", route_handlers=[
    send_message, send_batch, send_template, get_message, get_batch, pull_reports, pull_mo, list_webhooks,
    create_webhook, delete_webhook, openapi_json, api_docs],
    exception_handlers={ApiError: _on_api_error, HTTPException: _on_http_error})]

"""HTTP API of the SMS platform (SMS-01) under /api/sms/v1: JSON in and out, API key in
`Authorization: Bearer <key>`, scopes send / report / mo, a per-key rate limit, errors as
{"code", "message"[, "field"]}. CSRF does not apply to /api/ (app/main.py). The OpenAPI document is at
/api/sms/v1/openapi.json and a readable page at /api/sms/v1/docs."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from litestar import HttpMethod, Request, Response, Router, delete, get, post, route
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.core import api_errors, ratelimit
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.web import render
from app.sms import apikeys, billing, outbox, reports, webhooks
from app.sms.apikeys import ApiKey
from app.sms.routes.api import openapi, schema


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str = "", **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra


def _json(data, status: int = 200) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False, default=str).encode(), status_code=status,
                    media_type="application/json")


def _on_api_error(_request: Request, exc: ApiError) -> Response:
    return api_errors.error_response(exc.status, exc.code, exc.message, exc.field, **exc.extra)


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
        if not await ratelimit.allow("sms-api", str(key.id), key.rate_per_sec, 1.0):
            raise ApiError(429, "rate_limited", _("Too many requests for this API key; slow down."))
        connection.state.api_key = key

    return guard


async def _body(request: Request, operation: str) -> dict:
    """The JSON body, checked against the operation's schema (schema.BODIES) before anything uses it."""
    try:
        data = json.loads(await request.body() or b"{}")
    except (ValueError, RecursionError):  # RecursionError: absurdly nested arrays
        raise ApiError(400, "bad_json", _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", _("The request body must be a JSON object."))
    try:
        return schema.body(operation, data)
    except Invalid as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from None


def _when(value: str | None) -> datetime | None:
    """scheduled_at (already ISO 8601 with a zone, see the schema) within a year: the database cannot
    store year 9999 in every zone, and a send that far ahead is a typo."""
    if not value:
        return None
    when = datetime.fromisoformat(value)
    try:
        utc = when.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or utc > datetime.now(UTC) + timedelta(days=366):
        raise ApiError(422, "invalid", _("Schedule the send at most a year ahead."), "scheduled_at")
    return utc


async def _send(key: ApiKey, data: dict, to: list[str], *, per_number: dict | None = None) -> Response:
    if not to:
        raise ApiError(422, "invalid", _("Give at least one number in “to”."), "to")
    try:
        result = await outbox.send(key.account_id, to=to, text=data.get("text"), template_id=data.get("template_id"),
                                   params=data.get("params") or {}, per_number=per_number,
                                   scheduled_at=_when(data.get("scheduled_at")), source="api", user_id=key.user_id,
                                   api_key_id=key.id, sender=data.get("sender") or "")
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
    data = await _body(request, "send_message")
    return await _send(request.state.api_key, data, [data["to"]])


@post("/batches", guards=[scope("send")])
async def send_batch(request: Request) -> Response:
    """Either `to` (list) with one text/template, or `messages: [{to, params}]` with a template."""
    data = await _body(request, "send_batch")
    items = data.get("messages")
    if items is not None:
        per_number = {i["to"]: i.get("params") or {} for i in items}
        return await _send(request.state.api_key, data, [i["to"] for i in items], per_number=per_number)
    return await _send(request.state.api_key, data, data.get("to") or [])


@post("/template-messages", guards=[scope("send")])
async def send_template(request: Request) -> Response:
    data = await _body(request, "send_template")
    to = data["to"]
    return await _send(request.state.api_key, {**data, "text": None}, to if isinstance(to, list) else [to])


def _found(value: int, maximum: int) -> bool:
    """An id beyond its column's range cannot exist: answered 404 without asking the database."""
    return 1 <= value <= maximum


@get("/messages/{message_id:int}", guards=[scope("report")])
async def get_message(request: Request, message_id: int) -> Response:
    found = _found(message_id, schema.INT8_MAX) and await reports.message(request.state.api_key.account_id,
                                                                              message_id)
    if not found:
        raise ApiError(404, "not_found", _("No such message."))
    return _json(found)


@get("/batches/{batch_id:int}", guards=[scope("report")])
async def get_batch(request: Request, batch_id: int) -> Response:
    found = _found(batch_id, schema.INT4_MAX) and await reports.batch(request.state.api_key.account_id, batch_id)
    if not found:
        raise ApiError(404, "not_found", _("No such batch."))
    return _json(found)


def _page(request: Request) -> tuple[int, int]:
    try:
        cursor = schema.query_int(request.query_params.get("cursor"), schema.CURSOR, "cursor")
        limit = schema.query_int(request.query_params.get("limit"), schema.LIMIT, "limit")
    except Invalid as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from None
    return cursor or 0, limit or 100


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
    data = await _body(request, "create_webhook")
    try:
        row = await webhooks.create(request.state.api_key.account_id, data["url"],
                                    data.get("events") or list(webhooks.EVENTS))
    except Invalid as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from None
    return _json({"id": row["id"], "url": row["url"], "events": row["events"], "secret": row["secret"]}, 201)


@delete("/webhooks/{webhook_id:int}", guards=[scope("report")], status_code=200)
async def delete_webhook(request: Request, webhook_id: int) -> Response:
    if not (_found(webhook_id, schema.INT4_MAX)
            and await webhooks.delete(request.state.api_key.account_id, webhook_id)):
        raise ApiError(404, "not_found", _("No such webhook."))
    return _json({"deleted": webhook_id})


@route("/webhooks", http_method=[HttpMethod.OPTIONS])
async def webhooks_options() -> Response:
    """Declared by hand: Litestar's automatic OPTIONS answer on a path shared by two handlers lists only
    the first handler's methods."""
    return Response(content=None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})


@get("/openapi.json")
async def openapi_json() -> Response:
    return _json(openapi.document())


@get("/docs")
async def api_docs(request: Request) -> Response:
    return await render(request, "sms/admin/api_docs.html", doc=openapi.document(), endpoints=openapi.endpoints(),
                        errors=openapi.ERRORS)


ROUTES = [Router(path="/api/sms/v1", route_handlers=[
    send_message, send_batch, send_template, get_message, get_batch, pull_reports, pull_mo, webhooks_options,
    list_webhooks, create_webhook, delete_webhook, openapi_json, api_docs],
    exception_handlers={ApiError: _on_api_error})]  # other errors: app.core.api_errors (JSON under /api/)

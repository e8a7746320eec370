"""The OpenAPI 3 document of the SMS HTTP API (SMS-01), written by hand so every operation carries a
request and a response example; /api/sms/v1/docs renders the same data as a page."""
from __future__ import annotations

from functools import lru_cache

ERROR = {"type": "object", "required": ["code", "message"],
         "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}
SEND_RESULT = {"type": "object", "properties": {
    "batch_id": {"type": "integer"}, "accepted": {"type": "integer"}, "segments": {"type": "integer"},
    "cost": {"type": "integer", "description": "segments charged"},
    "rejected": {"type": "array", "items": {"type": "object", "properties": {
        "to": {"type": "string"}, "reason": {"type": "string"}}}}}}
MESSAGE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "batch_id": {"type": "integer"}, "to": {"type": "string"},
    "status": {"type": "string", "enum": ["scheduled", "queued", "submitting", "submitted", "delivered", "failed",
                                          "expired", "rejected", "cancelled"]},
    "reason": {"type": "string"}, "segments": {"type": "integer"}, "encoding": {"type": "string"},
    "attempts": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
    "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
    "done_at": {"type": "string", "format": "date-time", "nullable": True}}}

SENT = {"batch_id": 812, "accepted": 2, "segments": 2, "cost": 2,
        "rejected": [{"to": "12345", "reason": "Not a valid mobile number"}]}
MESSAGE_EXAMPLE = {"id": 90211, "batch_id": 812, "to": "13800138000", "status": "delivered", "reason": "",
                   "segments": 1, "encoding": "ucs2", "attempts": 1, "created_at": "2026-11-23T12:00:00+00:00",
                   "submitted_at": "2026-11-23T12:00:00.120000+00:00", "done_at": "2026-11-23T12:00:01+00:00"}

# (method, path, scope, summary, request example, response status, response example, description)
OPERATIONS = [
    ("post", "/messages", "send", "Send one message",
     {"to": "13800138000", "text": "【同窗】您的验证码是 4821", "sender": "106", "scheduled_at": None}, 202,
     {**SENT, "accepted": 1, "segments": 1, "cost": 1, "rejected": []},
     "Text up to 500 characters; longer than one SMS it goes as a concatenated message and each segment is "
     "charged (GSM-7 160/153, UCS-2 70/67). Give `scheduled_at` (ISO 8601 with zone) to send later."),
    ("post", "/batches", "send", "Send to many numbers",
     {"to": ["13800138000", "13800138001", "12345"], "text": "【同窗】年会本周六举行"}, 202, SENT,
     "Up to 10,000 numbers. Invalid, duplicate and blacklisted numbers are listed in `rejected`; the rest "
     "are queued. Or `{\"template_id\": 3, \"messages\": [{\"to\": \"138…\", \"params\": {\"name\": \"张三\"}}]}` "
     "for per-number parameters."),
    ("post", "/template-messages", "send", "Send an approved template",
     {"template_id": 3, "to": ["13800138000"], "params": {"name": "张三", "event": "年会", "date": "12月1日"}}, 202,
     {**SENT, "accepted": 1, "rejected": []}, "The template must be approved; every {variable} needs a value."),
    ("get", "/messages/{id}", "report", "Status of a message", None, 200, MESSAGE_EXAMPLE, ""),
    ("get", "/batches/{id}", "report", "Status of a batch", None, 200,
     {"id": 812, "source": "api", "status": "queued", "total": 3, "accepted": 2, "rejected": 1, "segments": 2,
      "cost": 2, "scheduled_at": None, "created_at": "2026-11-23T12:00:00+00:00",
      "statuses": {"delivered": 1, "submitted": 1}}, ""),
    ("get", "/reports", "report", "Pull delivery reports",
     None, 200, {"reports": [{**MESSAGE_EXAMPLE, "cursor": 5012}], "next_cursor": 5012},
     "Final states after `cursor` (start with 0), oldest first, `limit` ≤ 1000. Store `next_cursor` and "
     "pass it next time."),
    ("get", "/mo", "mo", "Pull replies (MO)", None, 200,
     {"mo": [{"id": 77, "from": "13800138000", "to": "106", "text": "收到，谢谢", "reply_to": 90211,
              "received_at": "2026-11-23T12:03:00+00:00"}], "next_cursor": 77}, "Same cursor rules as reports."),
    ("post", "/webhooks", "report", "Register a webhook",
     {"url": "https://example.com/sms-events", "events": ["report", "mo"]}, 201,
     {"id": 5, "url": "https://example.com/sms-events", "events": ["report", "mo"], "secret": "whsec_…"},
     "We POST each report / reply as JSON with header `X-Tc-Signature: t=<unix>,v1=<hex>` where v1 = "
     "HMAC-SHA256(secret, \"<t>.<raw body>\"). Answer 2xx; otherwise we retry with exponential backoff "
     "(5 s … 1 h, 10 attempts)."),
    ("get", "/webhooks", "report", "List webhooks", None, 200,
     {"webhooks": [{"id": 5, "url": "https://example.com/sms-events", "events": ["report", "mo"]}]}, ""),
    ("delete", "/webhooks/{id}", "report", "Remove a webhook", None, 200, {"deleted": 5}, ""),
]
ERRORS = [(400, "bad_json", "The request body is not valid JSON."),
          (401, "unauthorized", "Missing, unknown, revoked or expired API key."),
          (402, "insufficient_balance", "Balance too low: this send needs 3 segments, the account has 1."),
          (403, "forbidden", "This API key lacks the scope “send”."),
          (404, "not_found", "No such message."),
          (422, "invalid", "Enter the message text."),
          (429, "rate_limited", "Too many requests for this API key; slow down.")]


def endpoints() -> list[dict]:
    return [{"method": m.upper(), "path": p, "scope": s, "summary": t, "request": req, "status": st,
             "response": resp, "description": d} for m, p, s, t, req, st, resp, d in OPERATIONS]


@lru_cache(maxsize=1)
def document() -> dict:
    paths: dict = {}
    for m, p, s, title, req, status, resp, desc in OPERATIONS:
        op = {"summary": title, "description": desc + f"\n\nScope: `{s}`.", "security": [{"apiKey": [s]}],
              "responses": {str(status): {"description": "OK", "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/" + ("SendResult" if m == "post" and "send" == s
                                                               else "Message" if p == "/messages/{id}"
                                                               else "Any")},
                  "example": resp}}}}}
        for code, name, message in ERRORS:
            op["responses"].setdefault(str(code), {"description": name, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}, "example": {"code": name, "message": message}}}})
        if "{id}" in p:
            op["parameters"] = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
        if p in ("/reports", "/mo"):
            op["parameters"] = [{"name": "cursor", "in": "query", "schema": {"type": "integer", "default": 0}},
                                {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100}}]
        if req is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"example": req}}}
        paths.setdefault(p, {})[m] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Tongchuang SMS API", "version": "1.0",
                 "description": "Send SMS, query status, pull or receive delivery reports and replies. "
                                "Authenticate with `Authorization: Bearer <API key>`; keys have scopes "
                                "send / report / mo and a per-second rate limit."},
        "servers": [{"url": "/api/sms/v1"}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": ERROR, "SendResult": SEND_RESULT, "Message": MESSAGE,
                                   "Any": {"type": "object"}}},
        "paths": paths,
    }

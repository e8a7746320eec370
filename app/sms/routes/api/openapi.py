"""The OpenAPI 3 document of the SMS HTTP API (SMS-01), written by hand so every operation carries a
request and a response example; /api/sms/v1/docs renders the same data as a page. Request schemas are
the ones the server validates with (schema.py); the ids in the examples are rows that demo.py seeds
under the account "接口示例", so every example works against a seeded dev database."""
from __future__ import annotations

from functools import lru_cache

from app.sms.demo import EXAMPLE as E
from app.sms.routes.api import schema as s

STAMP = {"type": "string", "format": "date-time"}
NULL_STAMP = {**STAMP, "nullable": True}
ERROR = {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
    "need": {"type": "integer"}, "balance": {"type": "integer"},
    "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/Rejected"}}}}
REJECTED = {"type": "object", "required": ["to", "reason"], "properties": {
    "to": {"type": "string"}, "reason": {"type": "string"}}}
SEND_RESULT = {"type": "object", "required": ["batch_id", "accepted", "segments", "cost", "rejected"], "properties": {
    "batch_id": {"type": "integer"}, "accepted": {"type": "integer"}, "segments": {"type": "integer"},
    "cost": {"type": "integer", "description": "segments charged"},
    "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/Rejected"}}}}
STATUSES = ["scheduled", "queued", "submitting", "submitted", "delivered", "failed", "expired", "rejected", "cancelled",
            "unknown"]
MESSAGE = {"type": "object", "required": ["id", "batch_id", "to", "status"], "properties": {
    "id": {"type": "integer"}, "batch_id": {"type": "integer"}, "to": {"type": "string"},
    "status": {"type": "string", "enum": STATUSES}, "reason": {"type": "string"}, "segments": {"type": "integer"},
    "encoding": {"type": "string", "enum": ["gsm7", "ucs2"]}, "attempts": {"type": "integer"},
    "created_at": STAMP, "submitted_at": NULL_STAMP, "done_at": NULL_STAMP,
    "cursor": {"type": "integer", "description": "only in /reports"}}}
BATCH = {"type": "object", "required": ["id", "status", "statuses"], "properties": {
    "id": {"type": "integer"}, "source": {"type": "string"},
    "status": {"type": "string", "enum": ["scheduled", "queued", "done", "cancelled"]},
    "total": {"type": "integer"}, "accepted": {"type": "integer"}, "rejected": {"type": "integer"},
    "segments": {"type": "integer"}, "cost": {"type": "integer"}, "scheduled_at": NULL_STAMP, "created_at": STAMP,
    "statuses": {"type": "object", "additionalProperties": {"type": "integer"}}}}
MO = {"type": "object", "required": ["id", "from", "text"], "properties": {
    "id": {"type": "integer"}, "from": {"type": "string"}, "to": {"type": "string"}, "text": {"type": "string"},
    "reply_to": {"type": "integer", "nullable": True}, "received_at": STAMP}}
WEBHOOK = {"type": "object", "required": ["id", "url", "events"], "properties": {
    "id": {"type": "integer"}, "url": {"type": "string"},
    "events": {"type": "array", "items": {"type": "string", "enum": ["report", "mo"]}},
    "secret": {"type": "string", "description": "only when created"}}}


def _list(name: str, item: str) -> dict:
    return {"type": "object", "required": [name, "next_cursor"], "properties": {
        name: {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}, "next_cursor": {"type": "integer"}}}


SCHEMAS = {"Error": ERROR, "Rejected": REJECTED, "SendResult": SEND_RESULT, "Message": MESSAGE, "Batch": BATCH,
           "Mo": MO, "Webhook": WEBHOOK, "Reports": _list("reports", "Message"), "MoList": _list("mo", "Mo"),
           "Webhooks": {"type": "object", "required": ["webhooks"], "properties": {
               "webhooks": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}}},
           "Deleted": {"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "integer"}}}}

SENT = {"batch_id": E["batch_id"], "accepted": 2, "segments": 2, "cost": 2,
        "rejected": [{"to": "12345", "reason": "Not a valid mobile number"}]}
MESSAGE_EXAMPLE = {"id": E["message_id"], "batch_id": E["batch_id"], "to": E["phone"], "status": "delivered",
                   "reason": "", "segments": 1, "encoding": "ucs2", "attempts": 1, "created_at": E["created_at"],
                   "submitted_at": E["submitted_at"], "done_at": E["done_at"]}
PARAMS = {"name": "张三", "event": "年会", "date": "12月1日"}
WEBHOOK_URL = "https://example.com/sms-events"

# (method, path, scope, summary, body schema, request example, status, response schema, response example,
#  description)
OPERATIONS = [
    ("post", "/messages", "send", "Send one message", "send_message",
     {"to": E["phone"], "text": "【同窗】您的验证码是 4821", "sender": "106", "scheduled_at": None}, 202, "SendResult",
     {**SENT, "accepted": 1, "segments": 1, "cost": 1, "rejected": []},
     "Text up to 500 characters; longer than one SMS it goes as a concatenated message and each segment is "
     "charged (GSM-7 160/153, UCS-2 70/67). Give `scheduled_at` (ISO 8601 with zone, at most a year ahead) to "
     "send later."),
    ("post", "/batches", "send", "Send to many numbers", "send_batch",
     {"to": [E["phone"], E["phone_2"], "12345"], "text": "【同窗】年会本周六举行"}, 202, "SendResult", SENT,
     "Up to 10,000 numbers. Invalid, duplicate and blacklisted numbers are listed in `rejected`; the rest "
     "are queued. Or `{\"template_id\": " f"{E['template_id']}" ", \"messages\": [{\"to\": \"139…\","
     " \"params\": {\"name\": \"张三\"}}]}` for per-number parameters."),
    ("post", "/template-messages", "send", "Send an approved template", "send_template",
     {"template_id": E["template_id"], "to": [E["phone"]], "params": PARAMS}, 202, "SendResult",
     {**SENT, "accepted": 1, "segments": 1, "cost": 1, "rejected": []},
     "The template must be approved; every {variable} needs a value."),
    ("get", "/messages/{id}", "report", "Status of a message", None, None, 200, "Message", MESSAGE_EXAMPLE, ""),
    ("get", "/batches/{id}", "report", "Status of a batch", None, None, 200, "Batch",
     {"id": E["batch_id"], "source": "api", "status": "done", "total": 3, "accepted": 2, "rejected": 1,
      "segments": 2, "cost": 2, "scheduled_at": None, "created_at": E["created_at"], "statuses": {"delivered": 2}}, ""),
    ("get", "/reports", "report", "Pull delivery reports", None, None, 200, "Reports",
     {"reports": [{**MESSAGE_EXAMPLE, "cursor": E["report_cursor"]}], "next_cursor": E["report_cursor"]},
     "Final states after `cursor` (start with 0), oldest first, `limit` ≤ 1000. Store `next_cursor` and "
     "pass it next time."),
    ("get", "/mo", "mo", "Pull replies (MO)", None, None, 200, "MoList",
     {"mo": [{"id": E["mo_id"], "from": E["phone"], "to": "106", "text": "收到，谢谢", "reply_to": E["message_id"],
              "received_at": E["received_at"]}], "next_cursor": E["mo_id"]}, "Same cursor rules as reports."),
    ("post", "/webhooks", "report", "Register a webhook", "create_webhook",
     {"url": WEBHOOK_URL, "events": ["report", "mo"]}, 201, "Webhook",
     {"id": E["webhook_id"] + 1, "url": WEBHOOK_URL, "events": ["report", "mo"], "secret": "whsec_…"},
     "We POST each report / reply as JSON with header `X-Tc-Signature: t=<unix>,v1=<hex>` where v1 = "
     "HMAC-SHA256(secret, \"<t>.<raw body>\"). Answer 2xx; otherwise we retry with exponential backoff "
     "(5 s … 1 h, 10 attempts). The address must be on the public internet (checked on save and before "
     "every push); redirects are not followed."),
    ("get", "/webhooks", "report", "List webhooks", None, None, 200, "Webhooks",
     {"webhooks": [{"id": E["webhook_id"], "url": WEBHOOK_URL, "events": ["report", "mo"]}]}, ""),
    ("delete", "/webhooks/{id}", "report", "Remove a webhook", None, None, 200, "Deleted",
     {"deleted": E["webhook_id"]}, ""),
]
PATH_IDS = {"/messages/{id}": (s.INT8_MAX, E["message_id"]), "/batches/{id}": (s.INT4_MAX, E["batch_id"]),
            "/webhooks/{id}": (s.INT4_MAX, E["webhook_id"])}
# (status, code, example message, which operations answer it)
ERRORS = [(400, "bad_json", "The request body is not valid JSON.", "body"),
          (401, "unauthorized", "Missing, unknown, revoked or expired API key.", "all"),
          (402, "insufficient_balance", "Balance too low: this send needs 3 segments, the account has 1.", "send"),
          (403, "forbidden", "This API key lacks the scope “send”.", "all"),
          (404, "not_found", "No such message.", "id"),
          (422, "invalid", "Enter the message text.", "input"),
          (429, "rate_limited", "Too many requests for this API key; slow down.", "all")]


def endpoints() -> list[dict]:
    return [{"method": m.upper(), "path": p, "scope": sc, "summary": t, "request": req, "status": st,
             "response": resp, "description": d} for m, p, sc, t, _b, req, st, _r, resp, d in OPERATIONS]


def _answers(which: str, method: str, path: str, body: str | None) -> bool:
    return {"all": True, "body": body is not None, "send": body is not None and body.startswith("send"),
            "id": path in PATH_IDS, "input": body is not None or path in ("/reports", "/mo")}[which]


def _parameters(path: str) -> list[dict]:
    if path in PATH_IDS:
        maximum, example = PATH_IDS[path]
        return [{"name": "id", "in": "path", "required": True, "example": example,
                 "schema": s.integer(1, maximum)}]
    if path in ("/reports", "/mo"):
        return [{"name": "cursor", "in": "query", "schema": {**s.CURSOR, "default": 0}},
                {"name": "limit", "in": "query", "schema": {**s.LIMIT, "default": 100}}]
    return []


@lru_cache(maxsize=1)
def document() -> dict:
    paths: dict = {}
    for m, p, sc, title, body, req, status, schema, resp, desc in OPERATIONS:
        op = {"summary": title, "description": desc + f"\n\nScope: `{sc}`.", "security": [{"apiKey": [sc]}],
              "responses": {str(status): {"description": "OK", "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/" + schema}, "example": resp}}}}}
        for code, name, message, which in ERRORS:
            if _answers(which, m, p, body):
                op["responses"][str(code)] = {"description": name, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}, "example": {"code": name, "message": message}}}}
        if parameters := _parameters(p):
            op["parameters"] = parameters
        if body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": s.BODIES[body], "example": req}}}
        paths.setdefault(p, {})[m] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Tongchuang SMS API", "version": "1.0",
                 "description": "Send SMS, query status, pull or receive delivery reports and replies. "
                                "Authenticate with `Authorization: Bearer <API key>`; keys have scopes "
                                "send / report / mo and a per-second rate limit. Every error is JSON "
                                "`{code, message[, field]}`."},
        "servers": [{"url": "/api/sms/v1"}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "security": [{"apiKey": []}],
        "paths": paths,
    }

"""Input of the SMS HTTP API (SMS-01), one JSON schema per operation. `check()` validates a decoded body
(or a query/path value) against it before any service runs, and openapi.py publishes the very same
schemas, so what the documentation promises is what the server accepts. Only the keywords used here
are interpreted: type, nullable, required, properties, additionalProperties, items, anyOf, enum,
minLength/maxLength, minItems/maxItems, maxProperties, minimum/maximum, format date-time."""
from __future__ import annotations

import math
from datetime import datetime

from app.adapters.sms_channels.encoding import MAX_CHARS
from app.core.forms import Invalid
from app.core.i18n import gettext as _

INT4_MAX = 2**31 - 1  # sms_batch / sms_template / sms_webhook ids are integer columns
INT8_MAX = 2**63 - 1  # sms_message ids, report and MO cursors are bigint
MAX_BATCH = 10_000
PAGE_MAX = 1000
# PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded: refused in every string.
NO_NUL = "^[^\\u0000]*$"


def string(max_length: int, min_length: int = 0, description: str = "", **extra) -> dict:
    out = {"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": NO_NUL, **extra}
    return {**out, "description": description} if description else out


def integer(minimum: int, maximum: int, description: str = "") -> dict:
    out = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return {**out, "description": description} if description else out


PHONE = string(32, 1, "Mobile number: 11 digits, or +country code and number.")
TEXT = string(MAX_CHARS, 1, "Up to 500 characters; sent as a concatenated SMS when longer than one segment.")
SENDER = string(21, description="Extension of the sender number (optional).", nullable=True)
WHEN = string(40, format="date-time", nullable=True,
              description="ISO 8601 with a time zone, at most a year ahead; null or absent = now.")
PARAMS = {"type": "object", "maxProperties": 50, "additionalProperties": string(500),
          "description": "A value for every {variable} of the template."}
TEMPLATE_ID = integer(1, INT4_MAX, "An approved template of the key's account.")
NUMBERS = {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": PHONE}

BODIES: dict[str, dict] = {
    "send_message": {"type": "object", "required": ["to", "text"], "properties": {
        "to": PHONE, "text": TEXT, "sender": SENDER, "scheduled_at": WHEN}},
    "send_batch": {"type": "object", "description": "Either `to` with `text` or `template_id`, or `messages` "
                                                    "with `template_id`.", "properties": {
        "to": NUMBERS, "text": TEXT, "template_id": TEMPLATE_ID, "params": PARAMS, "sender": SENDER,
        "scheduled_at": WHEN,
        "messages": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": {
            "type": "object", "required": ["to"], "properties": {"to": PHONE, "params": PARAMS}}}}},
    "send_template": {"type": "object", "required": ["template_id", "to"], "properties": {
        "template_id": TEMPLATE_ID, "to": {"anyOf": [PHONE, NUMBERS]}, "params": PARAMS, "sender": SENDER,
        "scheduled_at": WHEN}},
    "create_webhook": {"type": "object", "required": ["url"], "properties": {
        "url": string(500, 1, "An http(s) address on the public internet.", format="uri"),
        "events": {"type": "array", "minItems": 1, "maxItems": 2,
                   "items": {"type": "string", "enum": ["report", "mo"]},
                   "description": "Default: both."}}},
}
CURSOR = integer(0, INT8_MAX, "Start with 0, then pass `next_cursor`.")
LIMIT = integer(1, PAGE_MAX)

# What to say when a required value is missing (the rest say "Give “field”.")
MISSING = {"text": lambda: _("Enter the message text."), "to": lambda: _("Give at least one number in “to”."),
           "template_id": lambda: _("Give “template_id”.")}
_TYPES = {"string": str, "integer": int, "array": list, "object": dict}


def _type_ok(kind: str, value) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def _wrong_type(kind: str, field: str) -> Invalid:
    messages = {"string": _("“%(field)s” must be a string.", field=field),
                "integer": _("“%(field)s” must be a whole number.", field=field),
                "array": _("“%(field)s” must be a list.", field=field),
                "object": _("“%(field)s” must be an object.", field=field)}
    return Invalid(field, messages[kind])


def _clean_string(value: str, schema: dict, field: str) -> None:
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise Invalid(field, _("“%(field)s” contains a character that is not allowed.", field=field))
    if len(value) < schema.get("minLength", 0):
        raise Invalid(field, MISSING[field]() if field in MISSING else _("Give “%(field)s”.", field=field))
    if len(value) > schema.get("maxLength", math.inf):
        raise Invalid(field, _("“%(field)s” may have at most %(n)s characters.", field=field, n=schema["maxLength"]))
    if schema.get("format") == "date-time":
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise Invalid(field, _("Give scheduled_at as ISO 8601 with a time zone."))


def check(schema: dict, value, field: str = ""):
    """`value` if it conforms to `schema`; else Invalid naming the first offending field (dotted path)."""
    if value is None:
        if schema.get("nullable"):
            return value
        raise Invalid(field, MISSING[field]() if field in MISSING else _("Give “%(field)s”.", field=field))
    if "anyOf" in schema:  # the branch of the value's JSON type decides
        branches = [s for s in schema["anyOf"] if _type_ok(s["type"], value)]
        return check(branches[0] if branches else schema["anyOf"][0], value, field)
    kind = schema["type"]
    if not _type_ok(kind, value):
        raise _wrong_type(kind, field)
    if "enum" in schema and value not in schema["enum"]:
        raise Invalid(field, _("“%(field)s” must be one of: %(choices)s.", field=field,
                               choices=", ".join(schema["enum"])))
    if kind == "string":
        _clean_string(value, schema, field)
    elif kind == "integer" and not schema["minimum"] <= value <= schema["maximum"]:
        raise Invalid(field, _("“%(field)s” must be between %(min)s and %(max)s.", field=field,
                               min=schema["minimum"], max=schema["maximum"]))
    elif kind == "array":
        if len(value) < schema.get("minItems", 0):
            raise Invalid(field, MISSING[field]() if field in MISSING else _("Give “%(field)s”.", field=field))
        if len(value) > schema.get("maxItems", math.inf):
            raise Invalid(field, _("“%(field)s” may have at most %(n)s entries.", field=field, n=schema["maxItems"]))
        for i, item in enumerate(value):
            check(schema["items"], item, f"{field}[{i}]")
    elif kind == "object":
        _check_object(schema, value, field)
    return value


def _check_object(schema: dict, value: dict, field: str) -> None:
    if len(value) > schema.get("maxProperties", math.inf):
        raise Invalid(field, _("“%(field)s” may have at most %(n)s entries.", field=field, n=schema["maxProperties"]))
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if value.get(name) is None:
            raise Invalid(_path(field, name), MISSING[name]() if name in MISSING else _("Give “%(field)s”.",
                                                                                        field=name))
    for name, item in value.items():
        sub = props.get(name, schema.get("additionalProperties"))
        if isinstance(sub, dict):
            check(sub, item, _path(field, name))


def _path(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name


def body(operation: str, data) -> dict:
    if not isinstance(data, dict):
        raise Invalid("", _("The request body must be a JSON object."))
    return check(BODIES[operation], data)


def query_int(raw: str | None, schema: dict, field: str) -> int | None:
    """A query parameter as a number within the schema's range, None when absent."""
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(field, _("“%(field)s” must be a whole number.", field=field)) from None
    return check(schema, value, field)

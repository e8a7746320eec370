"""Form input: declared fields, validation with per-field messages, values kept for re-render.

Services raise `Invalid(field, message)` for rules that need the database (unique names …);
`Form.add_error` puts that message next to its field.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core.i18n import gettext as _


class Invalid(Exception):
    """A domain rule refused a value: shown next to `field` (or at the top when field is '')."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(Exception):
    """The action clashes with the current state (already done, changed meanwhile …)."""


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")


@dataclass
class Field:
    name: str
    label: Any
    kind: str = "text"  # text textarea password email phone int date datetime select multiselect checkbox file richtext
    required: bool = False
    max_length: int | None = None
    min_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: list[tuple[str, Any]] | Callable[[], list[tuple[str, Any]]] | None = None
    dict_type: str | None = None  # choices come from the data dictionary (SUP-10)
    help: Any = ""
    placeholder: Any = ""

    def options(self) -> list[tuple[str, Any]]:
        return list(self.choices() if callable(self.choices) else (self.choices or []))


@dataclass
class Form:
    fields: list[Field]
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def value(self, name: str) -> Any:
        return self.data.get(name, "")

    def add_error(self, name: str, message: str) -> None:
        self.errors[name or "__all__"] = message

    def validate(self) -> bool:
        self.errors.clear()
        self.cleaned.clear()
        for f in self.fields:
            raw = self.data.get(f.name)
            try:
                self.cleaned[f.name] = _clean(f, raw)
            except Invalid as exc:
                self.errors[f.name] = exc.message
        return not self.errors


def _clean(f: Field, raw: Any) -> Any:
    if f.kind == "multiselect":
        values = raw if isinstance(raw, list) else ([raw] if raw not in (None, "") else [])
        if f.required and not values:
            raise Invalid(f.name, _("Choose at least one."))
        allowed = {str(k) for k, _label in f.options()} if f.choices else None
        if allowed is not None and any(str(v) not in allowed for v in values):
            raise Invalid(f.name, _("Choose from the list."))
        return [str(v) for v in values]
    if f.kind == "checkbox":
        return raw in ("on", "1", "true", True)
    if f.kind == "file":
        if f.required and not getattr(raw, "filename", None):
            raise Invalid(f.name, _("Choose a file."))
        return raw
    text = raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
    if not text:
        if f.required:
            raise Invalid(f.name, _("This field is required."))
        return None
    if f.max_length and len(text) > f.max_length:
        raise Invalid(f.name, _("At most %(n)s characters.", n=f.max_length))
    if f.min_length and len(text) < f.min_length:
        raise Invalid(f.name, _("At least %(n)s characters.", n=f.min_length))
    if f.kind == "email" and not EMAIL_RE.match(text):
        raise Invalid(f.name, _("Enter a valid email address."))
    if f.kind == "phone" and not PHONE_RE.match(text):
        raise Invalid(f.name, _("Enter a valid phone number."))
    if f.kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise Invalid(f.name, _("Enter a whole number.")) from None
        if f.min_value is not None and number < f.min_value:
            raise Invalid(f.name, _("At least %(n)s.", n=f.min_value))
        if f.max_value is not None and number > f.max_value:
            raise Invalid(f.name, _("At most %(n)s.", n=f.max_value))
        return number
    if f.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Invalid(f.name, _("Enter a date as YYYY-MM-DD.")) from None
    if f.kind == "datetime":
        try:  # the browser's datetime-local value (or "YYYY-MM-DD HH:MM" typed), in server-local time
            return datetime.fromisoformat(text.replace(" ", "T", 1)).astimezone()
        except ValueError:
            raise Invalid(f.name, _("Enter a date and time as YYYY-MM-DD HH:MM.")) from None
    if f.kind == "select" and f.choices is not None and text not in {str(k) for k, _label in f.options()}:
        raise Invalid(f.name, _("Choose from the list."))
    if f.kind == "richtext":
        from app.core.security import sanitize_html

        return sanitize_html(text)
    return text

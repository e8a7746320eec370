"""List filters: read them from the query string, turn them into a parameterised WHERE clause.

Every list page filters the same way (text contains, exact match, date range), so the parsing and
the SQL live here once. Values always travel as $n parameters, never in the SQL text."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from app.core.i18n import gettext as _


def text(params: Mapping[str, str], name: str, limit: int = 100) -> str:
    return (params.get(name) or "").strip()[:limit]


def choice(params: Mapping[str, str], name: str, allowed: Iterable[str]) -> str:
    value = params.get(name) or ""
    return value if value in allowed else ""


def to_id(value) -> int | None:
    """A row id from user input, or None. Bounded so a long digit string cannot overflow a bigint
    parameter (which PostgreSQL would answer with an error page)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 16 else None


def number(params: Mapping[str, str], name: str) -> int | None:
    return to_id(params.get(name))


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def dates(params: Mapping[str, str], *names: str) -> tuple[dict[str, date | None], dict[str, str]]:
    """Dates from the query string, with a field message for each one that does not parse."""
    values: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for name in names:
        raw = (params.get(name) or "").strip()
        values[name] = parse_date(raw)
        if raw and values[name] is None:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
    return values, errors


def like_pattern(value: str, prefix_only: bool = False) -> str:
    """A LIKE pattern that matches the user's text literally (their % and _ are not wildcards)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


class Where:
    """Collects conditions and their parameters; `args` may be shared with other SQL parts."""

    def __init__(self, args: list | None = None, *conditions: str) -> None:
        self.args = args if args is not None else []
        self.parts = [c for c in conditions if c]

    def param(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, condition: str) -> Where:
        self.parts.append(condition)
        return self

    def equals(self, column: str, value: Any) -> Where:
        if value not in (None, ""):
            self.parts.append(f"{column} = {self.param(value)}")
        return self

    def contains(self, columns: str | Iterable[str], value: str, prefix_only: bool = False) -> Where:
        """Case-insensitive text match on one column, or any of several."""
        if value:
            n = self.param(like_pattern(value, prefix_only))
            cols = [columns] if isinstance(columns, str) else list(columns)
            self.parts.append("(" + " OR ".join(f"{c} ILIKE {n}" for c in cols) + ")")
        return self

    def date_range(self, column: str, date_from: date | None, date_to: date | None) -> Where:
        """Inclusive of both days: `to` means up to the end of that day."""
        if date_from:
            self.parts.append(f"{column} >= {self.param(date_from)}::date")
        if date_to:
            self.parts.append(f"{column} < {self.param(date_to + timedelta(days=1))}::date")
        return self

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "TRUE"

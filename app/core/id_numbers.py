"""Chinese resident ID numbers (GB 11643-1999): 17 digits + a check character (ISO 7064 MOD 11-2).
Checked locally before any paid call to a verification provider."""
from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def problem(value: str) -> str | None:
    """None for a well-formed number, else what is wrong: 'length', 'digits', 'birthday' or 'checksum'."""
    v = normalise(value)
    if len(v) != 18:
        return "length"
    if not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        return "digits"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "birthday"
    if born.year < 1900 or born > date.today():
        return "birthday"
    if check_char(v[:17]) != v[17]:
        return "checksum"
    return None


def is_valid(value: str) -> bool:
    return problem(value) is None


def complete(first17: str) -> str:
    """The full number for 17 digits (demo data and tests build valid numbers with it)."""
    return first17 + check_char(first17)


def birthday(value: str) -> date | None:
    v = normalise(value)
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14])) if is_valid(v) else None

"""Mainland China mobile numbers as the platform stores them: 11 digits (SMS login, expert identity …)."""
from __future__ import annotations

import re

from app.core.forms import Invalid
from app.core.i18n import gettext as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise(value: str | None) -> str | None:
    """A mainland mobile number as 11 digits (spaces, dashes, brackets, +86 / 0086 / 86 dropped), else None."""
    digits = re.sub(r"[\s\-().]", "", value or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.match(digits) else None


def or_invalid(value: str | None, field: str = "phone") -> str:
    phone = normalise(value)
    if phone is None:
        raise Invalid(field, _("Enter a mainland China mobile number: 11 digits starting with 1."))
    return phone

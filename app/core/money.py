"""Cash amounts: typed in yuan ("8", "8.5", "8.50"), stored and paid in fen (integers), shown as ¥8.50."""
from __future__ import annotations

import re

_YUAN = re.compile(r"^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$")


def fen(raw: object) -> int | None:
    """Fen for a yuan amount typed by a person; None when it is not one (negative, more than two decimals,
    exponents, inf/nan — everything float() would accept but a price is not)."""
    match = _YUAN.match(str(raw if raw is not None else ""))
    if match is None:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def yuan(amount_fen: int | None) -> str:
    """¥8.50 for 850 (the template filter `yuan`)."""
    return f"¥{(amount_fen or 0) / 100:.2f}"

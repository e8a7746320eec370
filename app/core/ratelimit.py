"""Rate limits for login and public forms: a sliding window per (rule, client IP) in this process.
Lockout after failed logins (SUP-12) is separate and lives in PostgreSQL, so it holds across processes."""
from __future__ import annotations

import os
import time
from collections import defaultdict, deque

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from app.core.auth import client_ip

_hits: dict[tuple[str, str], deque] = defaultdict(deque)


# Browser test suites log in from one address many times a minute; they raise the limits with this.
FACTOR = float(os.environ.get("TC_RATELIMIT_FACTOR", "1"))


def hit(rule: str, key: str, limit: int, per_seconds: float) -> bool:
    """Count one hit; False when over the limit."""
    limit = int(limit * FACTOR)
    now = time.monotonic()
    window = _hits[(rule, key)]
    while window and now - window[0] > per_seconds:
        window.popleft()
    if len(window) >= limit:
        return False
    window.append(now)
    return True


def rate_limit(rule: str, limit: int, per_seconds: float = 60):
    """Guard limiting POSTs to `limit` per `per_seconds` per client IP."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") != "POST":
            return
        if not hit(rule, client_ip(connection.scope), limit, per_seconds):
            raise TooManyRequestsException()

    return guard


def reset() -> None:
    _hits.clear()

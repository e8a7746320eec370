"""Rate limits for login, public forms and the SMS API: a sliding window per (rule, key) counted in
PostgreSQL, so every web process shares one count and nothing grows in memory. The window is the usual
two-slot approximation: this slot's hits plus the previous slot's, weighted by how much of it still
overlaps the window. Old slots are deleted by the hourly job clean-up (app.core.job_retention).
Lockout after failed logins (SUP-12) is separate: see app.core.auth."""
from __future__ import annotations

import os
import time

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from app.core import db
from app.core.auth import client_ip

# Browser test suites log in from one address many times a minute; they raise the limits with this.
FACTOR = float(os.environ.get("TC_RATELIMIT_FACTOR", "1"))

_HIT_SQL = """
WITH cur AS (
  INSERT INTO rate_hit (rule, key, slot, hits, expires_at)
  VALUES ($1, $2, $3, 1, now() + make_interval(secs => $4 * 2))
  ON CONFLICT (rule, key, slot) DO UPDATE SET hits = rate_hit.hits + 1
  RETURNING hits)
SELECT (SELECT hits FROM cur) AS cur,
       COALESCE((SELECT hits FROM rate_hit WHERE rule = $1 AND key = $2 AND slot = $3 - 1), 0) AS prev
"""


async def allow(rule: str, key: str, limit: int, per_seconds: float) -> bool:
    """Count one hit for (rule, key); False when the last `per_seconds` already had `limit` hits."""
    limit = max(1, int(limit * FACTOR))
    now = time.time()
    slot, into = divmod(now, per_seconds)
    row = await db.detached(db.fetchrow(_HIT_SQL, rule, key[:200], int(slot), float(per_seconds)))
    recent = row["cur"] - 1 + row["prev"] * (1 - into / per_seconds)
    return recent < limit


def rate_limit(rule: str, limit: int, per_seconds: float = 60):
    """Guard limiting POSTs to `limit` per `per_seconds` per client IP."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") != "POST":
            return
        if not await allow(rule, client_ip(connection.scope), limit, per_seconds):
            raise TooManyRequestsException()

    return guard


async def prune() -> int:
    return int(await db.fetchval("WITH gone AS (DELETE FROM rate_hit WHERE expires_at < now() RETURNING 1) "
                                 "SELECT count(*) FROM gone"))

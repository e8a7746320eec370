"""One-time login redirect states (idn_auth_state): the `state` we send to a CAS / OIDC / WeChat server and
must see again on the callback, with the OIDC nonce and PKCE verifier; consumed once, valid 10 minutes."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from app.core import db

LIFETIME_MINUTES = 10


@dataclass(frozen=True)
class AuthState:
    id: int
    state: str
    provider_id: int
    nonce: str
    code_verifier: str
    next_url: str
    purpose: str  # login / bind (a logged-in user adds this way of logging in)
    user_id: int | None
    scope: str


def _of(row: dict) -> AuthState:
    return AuthState(row["id"], row["state"], row["provider"], row["nonce"], row["code_verifier"], row["next_url"],
                     row["purpose"], row["user_id"], row["scope"])


async def create(provider_id: int, *, next_url: str = "", purpose: str = "login", user_id: int | None = None,
                 scope: str = "") -> AuthState:
    """A fresh state with its own nonce and a PKCE verifier (RFC 7636: 43–128 characters; 64 here)."""
    row = await db.fetchrow(
        "INSERT INTO idn_auth_state (state, provider, nonce, code_verifier, next_url, purpose, user_id, scope)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        secrets.token_urlsafe(32), provider_id, secrets.token_urlsafe(24), secrets.token_urlsafe(48),
        next_url[:500], purpose, user_id, scope)
    return _of(row)


async def consume(state: str, provider_id: int) -> AuthState | None:
    """The state, marked used — or None when unknown, for another provider, already used or too old."""
    if not state or len(state) > 100:
        return None
    row = await db.fetchrow(
        "UPDATE idn_auth_state SET consumed_at = now() WHERE state = $1 AND provider = $2 AND consumed_at IS NULL"
        " AND created_at > now() - make_interval(mins => $3) RETURNING *", state, provider_id, LIFETIME_MINUTES)
    return _of(row) if row else None


async def prune(days: int = 1) -> int:
    """Spent and stale states older than `days` (the purge job)."""
    return int(await db.fetchval(
        "WITH gone AS (DELETE FROM idn_auth_state WHERE created_at < now() - make_interval(days => $1) RETURNING 1)"
        " SELECT count(*) FROM gone", days))

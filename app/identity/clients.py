"""The identity token API for third-party school apps (SUP-08): clients with scopes chosen from a fixed list,
the OAuth 2 client-credentials grant (RFC 6749 §4.4) issuing one-hour bearer tokens, a per-client rate
limit, revocation that kills every token of the client at once, and what each scope may read.

Client secrets and tokens are random 256-bit values, so a SHA-256 of them (app.core.security.token_hash)
is as strong as a slow password hash and costs nothing per API call; the clear secret is shown once."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core import audit, db, ratelimit
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.security import new_token, token_hash

SCOPES = {"profile.read": L("A user's name and whether they are verified, by user id"),
          "verification.read": L("Whether a user is a verified alumnus, student or staff member, and since when")}
TOKEN_SECONDS = 3600
CLIENT_ID_PREFIX = "tc_"


class NotFound(Exception):
    pass


class TokenError(Exception):
    """An RFC 6749 §5.2 error of the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class ClientToken:
    client_id: int  # idn_client.id
    client_code: str  # the public client_id
    scopes: frozenset[str]
    rate_per_minute: int

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def _check(name: str, scopes: list[str], rate: int | None) -> tuple[str, list[str], int]:
    name = (name or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    scopes = sorted(set(scopes or []))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise Invalid("scopes", _("Choose at least one scope from the list."))
    rate = 60 if rate is None else rate
    if not 1 <= rate <= 10000:
        raise Invalid("rate_per_minute", _("Between 1 and 10000 requests a minute."))
    return name[:100], scopes, rate


async def create(actor: Actor, *, name: str, scopes: list[str], rate_per_minute: int | None) -> tuple[int, str, str]:
    """(row id, client_id, secret): the secret exists in clear only in this return value."""
    name, scopes, rate = _check(name, scopes, rate_per_minute)
    client_code = CLIENT_ID_PREFIX + secrets.token_hex(8)
    secret = new_token()
    async with db.transaction():
        row_id = await db.fetchval(
            "INSERT INTO idn_client (client_id, name, secret_hash, scopes, rate_per_minute, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id", client_code, name, token_hash(secret), scopes, rate,
            actor.id)
        await audit.record(actor, "create", "idn_client", row_id,
                           after={"client_id": client_code, "name": name, "scopes": scopes, "rate_per_minute": rate})
    return row_id, client_code, secret


async def update(actor: Actor, row_id: int, *, name: str, scopes: list[str], rate_per_minute: int | None) -> None:
    """Name, scopes and rate; a scope taken away is gone from the client's live tokens too."""
    before = await get(row_id)
    if before["revoked_at"]:
        raise Conflict(_("This client is revoked."))
    name, scopes, rate = _check(name, scopes, rate_per_minute)
    async with db.transaction():
        await db.execute("UPDATE idn_client SET name = $2, scopes = $3, rate_per_minute = $4, updated_at = now(),"
                         " updated_by = $5 WHERE id = $1", row_id, name, scopes, rate, actor.id)
        after = {"name": name, "scopes": scopes, "rate_per_minute": rate}
        old = {k: before[k] for k in after}
        await audit.record(actor, "update", "idn_client", row_id, before=old, after=after,
                           summary=", ".join(audit.changed(old, after)))


async def revoke(actor: Actor, row_id: int) -> None:
    """The client and every token it holds stop working at once."""
    before = await get(row_id)
    if before["revoked_at"]:
        return
    async with db.transaction():
        await db.execute("UPDATE idn_client SET revoked_at = now(), updated_at = now(), updated_by = $2 WHERE id = $1",
                         row_id, actor.id)
        count = await db.execute("UPDATE idn_client_token SET revoked_at = now() WHERE client = $1"
                                 " AND revoked_at IS NULL", row_id)
        await audit.record(actor, "revoke", "idn_client", row_id, summary=f"{before['client_id']}: {count}",
                           before={"revoked_at": None}, after={"revoked_at": "now"})


async def get(row_id: int) -> dict:
    row = await db.fetchrow("SELECT id, client_id, name, scopes, rate_per_minute, revoked_at, last_used_at,"
                            " created_at, (SELECT count(*) FROM idn_client_token t WHERE t.client = c.id"
                            " AND t.revoked_at IS NULL AND t.expires_at > now()) AS live_tokens"
                            " FROM idn_client c WHERE id = $1", row_id)
    if row is None:
        raise NotFound()
    return row


async def list_clients(req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM idn_client")
    items = await db.fetch("SELECT id, client_id, name, scopes, rate_per_minute, revoked_at, last_used_at, created_at"
                           f" FROM idn_client ORDER BY revoked_at IS NOT NULL, id DESC LIMIT {req.per_page}"
                           f" OFFSET {req.offset}")
    return Page(items, total, req.page, req.per_page)


# --- the token endpoint and the bearer check --------------------------------------------------------------

async def issue_token(client_code: str, secret: str, grant_type: str, scope: str | None) -> dict:
    """The client-credentials grant: an access token response (RFC 6749 §4.4.3, §5.1) or TokenError (§5.2)."""
    if not grant_type:
        raise TokenError("invalid_request", _("grant_type is required."))
    if not client_code or not secret:
        raise TokenError("invalid_client", _("Client authentication failed."), 401)
    row = await db.fetchrow("SELECT id, client_id, secret_hash, scopes, revoked_at FROM idn_client"
                            " WHERE client_id = $1", client_code[:64])
    # Compare a hash in every case, so a wrong client_id takes as long as a wrong secret.
    expected = row["secret_hash"] if row else token_hash("no such client")
    if row is None or row["revoked_at"] or not hmac.compare_digest(expected, token_hash(secret)):
        raise TokenError("invalid_client", _("Client authentication failed."), 401)
    if grant_type != "client_credentials":
        raise TokenError("unsupported_grant_type", _("Only the client_credentials grant is supported."))
    allowed = set(row["scopes"])
    wanted = set((scope or "").split()) or allowed
    if not wanted <= allowed:
        raise TokenError("invalid_scope", _("The requested scope is not granted to this client."))
    if not await ratelimit.allow("idn-token", str(row["id"]), 30, 60):
        raise TokenError("slow_down", _("Too many token requests for this client; slow down."), 429)
    token = new_token()
    expires = datetime.now(UTC) + timedelta(seconds=TOKEN_SECONDS)
    async with db.transaction():
        await db.execute("INSERT INTO idn_client_token (client, token_hash, scopes, expires_at)"
                         " VALUES ($1, $2, $3, $4)", row["id"], token_hash(token), sorted(wanted), expires)
        await db.execute("UPDATE idn_client SET last_used_at = now() WHERE id = $1", row["id"])
        await audit.record(Actor(None, f"client:{row['client_id']}"), "token", "idn_client", row["id"],
                           summary=" ".join(sorted(wanted)))
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS,
            "scope": " ".join(sorted(wanted))}


async def verify(raw: str) -> ClientToken | None:
    """The live token of a live client, with the scopes both still hold; None otherwise."""
    if not raw or len(raw) > 200:
        return None
    row = await db.fetchrow(
        "SELECT c.id, c.client_id, c.rate_per_minute, ARRAY(SELECT unnest(t.scopes) INTERSECT"
        " SELECT unnest(c.scopes)) AS scopes FROM idn_client_token t JOIN idn_client c ON c.id = t.client"
        " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND c.revoked_at IS NULL",
        token_hash(raw))
    if row is None:
        return None
    return ClientToken(row["id"], row["client_id"], frozenset(row["scopes"]), row["rate_per_minute"])


async def within_rate(token: ClientToken) -> bool:
    return await ratelimit.allow("idn-api", str(token.client_id), token.rate_per_minute, 60)


# --- what the scopes read -------------------------------------------------------------------------------

async def _verified_claim(user_id: int) -> dict | None:
    return await db.fetchrow("SELECT kind, verified_at FROM idn_claim WHERE \"user\" = $1 AND status = 'verified'"
                             " ORDER BY verified_at DESC NULLS LAST, id DESC LIMIT 1", user_id)


async def profile(user_id: int) -> dict | None:
    """profile.read: the name and whether the user is verified (active users only)."""
    row = await db.fetchrow("SELECT id, name, username FROM app_user WHERE id = $1 AND is_active", user_id)
    if row is None:
        return None
    return {"id": row["id"], "name": row["name"] or row["username"],
            "verified": await _verified_claim(user_id) is not None}


async def verification(user_id: int) -> dict | None:
    """verification.read: verified or not, as what (alumnus / student / staff / other) and since when."""
    if not await db.fetchval("SELECT 1 FROM app_user WHERE id = $1 AND is_active", user_id):
        return None
    claim = await _verified_claim(user_id)
    return {"id": user_id, "verified": claim is not None, "kind": claim["kind"] if claim else None,
            "verified_at": claim["verified_at"].isoformat() if claim and claim["verified_at"] else None}

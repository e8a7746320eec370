"""API keys of the HTTP API (SMS-01): per account (department) and optionally per user, with scopes
(send / report / mo), a rate limit and an expiry. Only the SHA-256 of a key is stored; the raw key is
shown once at creation."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from app.core import audit, db
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _

SCOPES = ("send", "report", "mo")
PREFIX = "tcsms_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    account_id: int
    user_id: int | None
    name: str
    scopes: tuple[str, ...]
    rate_per_sec: int

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_key(account_id: int, name: str, scopes: list[str], rate_per_sec: int = 50,
                     user_id: int | None = None, *, expires_at: datetime | None = None,
                     actor: Actor = SYSTEM) -> tuple[dict, str]:
    """(stored row, raw key). The raw key cannot be recovered later."""
    if not name.strip():
        raise Invalid("name", _("Enter a name."))
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise Invalid("scopes", _("Choose at least one scope: send, report, mo."))
    if not 1 <= int(rate_per_sec) <= 10_000:
        raise Invalid("rate_per_sec", _("Enter a rate between 1 and 10000 requests per second."))
    raw = PREFIX + secrets.token_urlsafe(30)
    async with db.transaction():
        row = await db.fetchrow(
            "INSERT INTO sms_api_key (account, \"user\", name, prefix, key_hash, scopes, rate_per_sec, expires_at,"
            " created_by) VALUES ($1, $2::int, $3, $4, $5, $6::varchar[], $7, $8, $2::bigint) RETURNING *",
            account_id, user_id, name.strip(), raw[:12], _hash(raw), list(dict.fromkeys(scopes)), int(rate_per_sec),
            expires_at)
        await audit.record(actor, "sms.apikey.create", "sms_api_key", row["id"],
                           after={"name": row["name"], "scopes": row["scopes"], "account": account_id})
    return row, raw


async def revoke_key(key_id: int, *, actor: Actor = SYSTEM) -> bool:
    async with db.transaction():
        done = await db.fetchval("UPDATE sms_api_key SET status = 'revoked', updated_at = now() WHERE id = $1"
                                 " AND status = 'active' RETURNING id", key_id)
        if done:
            await audit.record(actor, "sms.apikey.revoke", "sms_api_key", key_id)
    return bool(done)


async def list_keys(account_id: int | None = None) -> list[dict]:
    """Keys without their hash, newest first; all accounts when account_id is None."""
    return await db.fetch(
        "SELECT k.id, k.account, a.name AS account_name, k.\"user\", u.username, k.name, k.prefix, k.scopes,"
        " k.rate_per_sec, k.status, k.expires_at, k.last_used_at, k.created_at FROM sms_api_key k"
        " JOIN sms_account a ON a.id = k.account LEFT JOIN app_user u ON u.id = k.\"user\""
        " WHERE $1::int IS NULL OR k.account = $1 ORDER BY k.id DESC", account_id)


async def verify(raw: str) -> ApiKey | None:
    """The active, unexpired key for this raw string, or None. Touches last_used_at at most once a minute."""
    if not raw or not raw.startswith(PREFIX):
        return None
    row = await db.fetchrow("SELECT k.*, a.status AS account_status FROM sms_api_key k"
                            " JOIN sms_account a ON a.id = k.account WHERE k.key_hash = $1", _hash(raw))
    if row is None or row["status"] != "active" or row["account_status"] != "active":
        return None
    now = datetime.now(UTC)
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return None
    if row["last_used_at"] is None or (now - row["last_used_at"]).total_seconds() > 60:
        await db.execute("UPDATE sms_api_key SET last_used_at = now() WHERE id = $1", row["id"])
    return ApiKey(row["id"], row["account"], row["user"], row["name"], tuple(row["scopes"]), row["rate_per_sec"])

"""Webhooks of the HTTP API (SMS-01): delivery reports and replies (MO) pushed to the customer's URL
as JSON, signed with HMAC-SHA256, retried with exponential backoff. Deliveries are rows of
sms_webhook_delivery written in the same transaction as the state change (an outbox), pushed by the
`sms.webhooks` job and by the dispatcher between its other work.

Signature header: `X-Tc-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import httpx

from app.core import audit, db
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.sms import webhook_targets

EVENTS = ("report", "mo")
MAX_ATTEMPTS = 10
HEADER = "X-Tc-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """What a receiver does (documented; used by tests)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - t) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, t), header)


async def create(account_id: int, url: str, events: list[str], *, actor: Actor = SYSTEM) -> dict:
    """A new webhook with a fresh secret (returned in the row: the customer needs it to verify)."""
    await webhook_targets.check(url)  # checked again before every push: the DNS answer can change
    if not events or any(e not in EVENTS for e in events):
        raise Invalid("events", _("Choose the events: report, mo."))
    async with db.transaction():
        row = await db.fetchrow("INSERT INTO sms_webhook (account, url, secret, events, created_by)"
                                " VALUES ($1, $2, $3, $4::varchar[], $5) RETURNING *", account_id, url[:500],
                                "whsec_" + secrets.token_urlsafe(24), list(dict.fromkeys(events)), actor.id)
        await audit.record(actor, "sms.webhook.create", "sms_webhook", row["id"], after={"url": url, "events": events})
    return row


async def list_for(account_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM sms_webhook WHERE account = $1 ORDER BY id", account_id)


async def delete(account_id: int, webhook_id: int, *, actor: Actor = SYSTEM) -> bool:
    async with db.transaction():
        done = await db.fetchval("DELETE FROM sms_webhook WHERE id = $1 AND account = $2 RETURNING id",
                                 webhook_id, account_id)
        if done:
            await audit.record(actor, "sms.webhook.delete", "sms_webhook", webhook_id)
    return bool(done)


def _delay(attempts: int) -> int:
    return min(3600, 5 * 2 ** attempts)


async def push_due(limit: int = 200, client: httpx.AsyncClient | None = None) -> int:
    """Push due deliveries; returns how many succeeded. A lease (next_at moved ahead, committed) keeps a
    parallel pusher off the same rows while the HTTP calls run."""
    async with db.transaction():
        rows = await db.fetch(
            "UPDATE sms_webhook_delivery d SET next_at = now() + interval '60 seconds', attempts = d.attempts + 1"
            " FROM sms_webhook w WHERE w.id = d.webhook AND d.id IN (SELECT id FROM sms_webhook_delivery"
            "  WHERE status = 'pending' AND next_at <= now() ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
            " RETURNING d.id, d.payload, d.attempts, w.url, w.secret", limit)
    if not rows:
        return 0
    own = client is None
    client = client or httpx.AsyncClient(timeout=5.0)
    ok = 0
    try:
        for r in rows:
            payload = r["payload"] if isinstance(r["payload"], str) else json.dumps(r["payload"], ensure_ascii=False)
            body = payload.encode()
            try:
                target = await webhook_targets.check(r["url"])
                options = target.request_options()
                # redirects are not followed (httpx's default): they could lead anywhere
                resp = await client.post(target.url, content=body, extensions=options.get("extensions"), headers={
                    **options.get("headers", {}), "Content-Type": "application/json", HEADER: sign(r["secret"], body)})
                error = "" if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}"
            except Invalid as exc:
                error = f"Refused: {exc.message}"[:500]
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            if not error:
                ok += 1
                await db.execute("UPDATE sms_webhook_delivery SET status = 'done', done_at = now(), last_error = ''"
                                 " WHERE id = $1", r["id"])
            else:
                await db.execute(
                    "UPDATE sms_webhook_delivery SET last_error = $2, next_at = now() + make_interval(secs => $3),"
                    " status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END WHERE id = $1",
                    r["id"], error, _delay(r["attempts"]), MAX_ATTEMPTS)
    finally:
        if own:
            await client.aclose()
    return ok


async def push_all_due() -> int:
    """Push until nothing is due (the sms.webhooks job); returns how many succeeded."""
    total = 0
    while (done := await push_due()) > 0:
        total += done
    return total

"""Unified points service (SUP-09): earn, spend, refund, grant/deduct, expire, balance, rule-based awards.
The public api of the points module: the one file other modules may import (the mall's checkout, orders
and demo data; the import-linter contract names the edge); this module's own services build on it too.

Every call is idempotent by `key` (a UNIQUE index on pts_ledger.key: the same key again returns the
first Entry and changes nothing) and joins the caller's transaction, so checkout can reserve stock,
spend points and create the order atomically. Each change locks the user's pts_account row
(SELECT … FOR UPDATE) before reading the balance, so concurrent spends serialise per user and the
balance never goes negative (also a CHECK constraint) nor drifts from the append-only ledger.

Other modules award points by action name through the event API, e.g. on an event signup:
    await points.award("event_signup", user_id, key=f"event_signup:{signup_id}", ref=str(event_id))
The action's rule (MALL-01, admin-defined) decides the amount and caps; unknown/disabled → 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core import audit, db
from app.core.audit import SYSTEM, Actor
from app.core.i18n import _

KINDS = ("earn", "spend", "refund", "grant", "deduct", "expire")
# Kinds that count towards the accumulated total which decides the level (MALL-03).
EARNING_KINDS = ("earn", "grant")
# Start of the current Asia/Shanghai day as timestamptz: daily caps count from here.
SHANGHAI_DAY_START = "(date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai')"


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: int
    delta: int
    balance_after: int
    kind: str
    action: str
    key: str
    ref: str
    reason: str
    created: datetime


class InsufficientPoints(Exception):
    """A spend or deduct would take the balance below zero."""

    def __init__(self, balance: int, needed: int):
        self.balance = balance
        self.needed = needed
        super().__init__(_("Not enough points: the balance is %(balance)s, %(needed)s are needed.",
                           balance=balance, needed=needed))


def _entry(row: dict) -> Entry:
    return Entry(row["id"], row["user_id"], row["delta"], row["balance_after"], row["kind"], row["action"],
                 row["key"], row["ref"], row["reason"], row["created_at"])


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"points amount must be a positive integer, got {amount!r}")
    return amount


async def _by_key(key: str) -> Entry | None:
    row = await db.fetchrow("SELECT * FROM pts_ledger WHERE key = $1", key)
    return _entry(row) if row else None


async def _lock(user_id: int) -> int:
    """Lock the user's account row (creating it on first use) and return the balance. Must run inside
    a transaction: the lock is held until it ends."""
    balance = await db.fetchval("SELECT balance FROM pts_account WHERE user_id = $1 FOR UPDATE", user_id)
    if balance is None:  # first use: one round trip more, once per user
        await db.execute("INSERT INTO pts_account (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", user_id)
        balance = await db.fetchval("SELECT balance FROM pts_account WHERE user_id = $1 FOR UPDATE", user_id)
    return balance


async def _locked(key: str, user_id: int) -> tuple[Entry | None, int]:
    """Inside a transaction: the entry already written under `key` (nothing to do), else lock the account
    and return its balance. The key is checked again after the lock: a concurrent call with the same key
    may have committed while this one waited."""
    done = await _by_key(key)
    if done is not None:
        return done, 0
    balance = await _lock(user_id)
    return await _by_key(key), balance


async def _write(user_id: int, delta: int, balance: int, *, kind: str, key: str, reason: str, ref: str = "",
                 action: str = "", refund_of: str | None = None, actor: Actor | None,
                 earned: int | None = None) -> Entry:
    """Append the ledger row and move the locked account to its balance_after, in one transaction."""
    actor = actor or SYSTEM
    after = balance + delta
    if after < 0:
        raise InsufficientPoints(balance, -delta)
    if earned is None:
        earned = delta if kind in EARNING_KINDS else 0
    # One statement moves the account and appends the ledger row: the row lock is held for fewer round trips.
    row = await db.fetchrow(
        "WITH moved AS (UPDATE pts_account SET balance = $3, earned_total = earned_total + $11, updated_at = now()"
        " WHERE user_id = $1 RETURNING user_id)"
        " INSERT INTO pts_ledger (user_id, delta, balance_after, kind, action, key, ref, reason, refund_of, actor_id)"
        " SELECT user_id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM moved RETURNING *",
        user_id, delta, after, kind, action, key, ref, reason, refund_of, actor.id, earned)
    await audit.record(actor, f"points.{kind}", "pts_ledger", row["id"],
                       after={"user_id": user_id, "delta": delta, "balance_after": after, "key": key, "ref": ref,
                              "action": action, "reason": reason},
                       summary=f"{delta:+d} → {after} (user {user_id})")
    return _entry(row)


async def _change(user_id: int, delta: int, *, kind: str, key: str, reason: str, ref: str = "", action: str = "",
                  actor: Actor | None = None) -> Entry:
    async with db.transaction():
        done, balance = await _locked(key, user_id)
        if done is not None:
            return done
        return await _write(user_id, delta, balance, kind=kind, key=key, reason=reason, ref=ref, action=action,
                            actor=actor)


async def earn(user_id: int, amount: int, *, key: str, reason: str, ref: str = "", action: str = "",
               actor: Actor | None = None) -> Entry:
    return await _change(user_id, _positive(amount), kind="earn", key=key, reason=reason, ref=ref, action=action,
                         actor=actor)


async def spend(user_id: int, amount: int, *, key: str, reason: str, ref: str = "",
                actor: Actor | None = None) -> Entry:
    """Take points; raises InsufficientPoints (and changes nothing) when the balance is too small."""
    return await _change(user_id, -_positive(amount), kind="spend", key=key, reason=reason, ref=ref, actor=actor)


async def grant(user_id: int, amount: int, *, key: str, reason: str, actor: Actor | None = None) -> Entry:
    """Manual top-up by an admin (MALL-04); counts towards the level like earned points."""
    return await _change(user_id, _positive(amount), kind="grant", key=key, reason=reason, actor=actor)


async def deduct(user_id: int, amount: int, *, key: str, reason: str, actor: Actor | None = None) -> Entry:
    """Manual deduction by an admin (MALL-04); never below zero (InsufficientPoints)."""
    return await _change(user_id, -_positive(amount), kind="deduct", key=key, reason=reason, actor=actor)


async def expire(user_id: int, amount: int, *, key: str, reason: str, ref: str = "") -> Entry:
    """Points past their validity leave the balance (app.points.expiry works out how many)."""
    return await _change(user_id, -_positive(amount), kind="expire", key=key, reason=reason, ref=ref)


async def lock_account(user_id: int) -> int:
    """Inside a transaction: hold the user's account lock until it ends (no change in between); the balance."""
    return await _lock(user_id)


async def refund(user_id: int, *, key: str, original_key: str, reason: str,
                 actor: Actor | None = None) -> Entry | None:
    """Give back what the spend `original_key` took, at most once (a UNIQUE index on refund_of). Returns
    None when there is no such spend of this user, or it was already refunded under another key."""
    async with db.transaction():
        done, balance = await _locked(key, user_id)
        if done is not None:
            return done
        spent = await db.fetchrow("SELECT delta, ref FROM pts_ledger"
                                  " WHERE key = $1 AND user_id = $2 AND kind = 'spend'", original_key, user_id)
        if spent is None or await db.fetchval("SELECT 1 FROM pts_ledger WHERE refund_of = $1", original_key):
            return None
        return await _write(user_id, -spent["delta"], balance, kind="refund", key=key, reason=reason,
                            ref=spent["ref"], refund_of=original_key, actor=actor)


async def reverse(entry_id: int, *, key: str, reason: str, actor: Actor | None = None) -> Entry | None:
    """Undo a manual grant or deduct (import rollback): the opposite movement, at most once, also taken
    off the accumulated total when it was a grant. None when the entry does not exist."""
    original = await db.fetchrow("SELECT * FROM pts_ledger WHERE id = $1 AND kind IN ('grant', 'deduct')", entry_id)
    if original is None:
        return None
    async with db.transaction():
        done, balance = await _locked(key, original["user_id"])
        if done is not None:
            return done
        kind = "deduct" if original["kind"] == "grant" else "grant"
        return await _write(original["user_id"], -original["delta"], balance, kind=kind, key=key, reason=reason,
                            ref=f"undo:{entry_id}", actor=actor, earned=min(0, -original["delta"]))


async def balance(user_id: int) -> int:
    return await db.fetchval("SELECT balance FROM pts_account WHERE user_id = $1", user_id) or 0


async def earned_total(user_id: int) -> int:
    """Points accumulated over time (earn + grant): decides the level."""
    return await db.fetchval("SELECT earned_total FROM pts_account WHERE user_id = $1", user_id) or 0


async def award(action: str, user_id: int, *, key: str, ref: str = "") -> int:
    """Event API: award the points the enabled, currently valid rule for `action` gives, within its daily
    (per Asia/Shanghai day) and lifetime caps. Returns the points awarded; 0 when no rule applies or a
    cap is reached. The same key again returns what it awarded the first time."""
    async with db.transaction():
        done = await _by_key(key)
        if done is not None:
            return done.delta
        rule = await db.fetchrow(
            "SELECT * FROM pts_rule WHERE action = $1 AND enabled AND points > 0"
            " AND (valid_from IS NULL OR valid_from <= (now() AT TIME ZONE 'Asia/Shanghai')::date)"
            " AND (valid_to IS NULL OR valid_to >= (now() AT TIME ZONE 'Asia/Shanghai')::date)", action)
        if rule is None:
            return 0
        done, balance = await _locked(key, user_id)  # the lock serialises cap counting for this user
        if done is not None:
            return done.delta
        amount = rule["points"]
        if rule["lifetime_count"] is not None:
            total = await db.fetchval("SELECT count(*) FROM pts_ledger WHERE user_id = $1 AND action = $2"
                                      " AND kind = 'earn'", user_id, action)
            if total >= rule["lifetime_count"]:
                return 0
        if rule["daily_count"] is not None or rule["daily_points"] is not None:
            today = await db.fetchrow(
                "SELECT count(*) AS n, coalesce(sum(delta), 0)::bigint AS pts FROM pts_ledger WHERE user_id = $1"
                f" AND action = $2 AND kind = 'earn' AND created_at >= {SHANGHAI_DAY_START}", user_id, action)
            if rule["daily_count"] is not None and today["n"] >= rule["daily_count"]:
                return 0
            if rule["daily_points"] is not None:
                amount = min(amount, rule["daily_points"] - today["pts"])
        if amount <= 0:
            return 0
        entry = await _write(user_id, amount, balance, kind="earn", key=key, reason=rule["name"], ref=ref,
                             action=action, actor=None)
        return entry.delta


async def ensure_rule(action: str, name: str, points: int, *, lifetime_count: int | None = None,
                      daily_count: int | None = None, description: str = "", link: str = "", sort: int = 0) -> None:
    """A module's earning rule for its action code, created once and never overwritten (admins may change or
    disable it on the rules page): the module's own setup or demo calls this before it awards."""
    await db.execute("INSERT INTO pts_rule (action, name, points, lifetime_count, daily_count, description, link,"
                     " sort) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (action) DO NOTHING",
                     action, name, points, lifetime_count, daily_count, description, link, sort)


async def ledger_consistent(user_id: int | None = None) -> list[int]:
    """Users whose account balance differs from the sum of their ledger (or from the last balance_after).
    An empty list means every balance is exactly what the ledger says."""
    rows = await db.fetch(
        "SELECT a.user_id FROM pts_account a"
        " LEFT JOIN LATERAL (SELECT coalesce(sum(delta), 0)::bigint AS total FROM pts_ledger l"
        " WHERE l.user_id = a.user_id) s ON true"
        " LEFT JOIN LATERAL (SELECT balance_after FROM pts_ledger l WHERE l.user_id = a.user_id"
        " ORDER BY id DESC LIMIT 1) last ON true"
        " WHERE ($1::int IS NULL OR a.user_id = $1)"
        " AND (a.balance <> s.total OR a.balance <> coalesce(last.balance_after, 0))"
        " ORDER BY a.user_id", user_id)
    return [r["user_id"] for r in rows]

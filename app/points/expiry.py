"""Points expiry (积分过期, MALL-01/SUP-09): received points stay valid for N months (optionally until the
end of the year that validity ends in, Beijing time); what is still unspent then expires.

Every positive ledger row (earn, grant, refund) is a lot dated by its own time; every negative row
(spend, deduct, expire) uses up the oldest lots first (FIFO), so only the unspent rest of old lots
expires. An expiry is one append-only ledger row of kind "expire" per user and run, written through
the points api (account locked, balance moved, audited). The amount is worked out again under the
account lock and an expired lot is used up for good, so a second or concurrent run expires nothing
twice; the key names the newest lot expired, so a retried write is refused by the ledger's unique key.

The policy is kept in site settings under the points module's own keys and edited on the points rules
page; it is off until an admin turns it on (then points already past their validity expire at the next
hourly run)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.core import audit, db, settings_store
from app.core.audit import Actor
from app.core.forms import Field, Form
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.points import api

KEYS = {"enabled": "points.expiry.enabled", "months": "points.expiry.months", "year_end": "points.expiry.year_end"}
DEFAULTS = {"enabled": False, "months": 24, "year_end": False}
for _name, _key in KEYS.items():
    settings_store.DEFAULTS.setdefault(_key, DEFAULTS[_name])
BATCH = 500

# When a lot received at `l.created_at` stops being valid: $2 months later (Beijing time), or, with $3,
# at the start of the following year.
DEADLINE_SQL = """(CASE WHEN $3::boolean
  THEN date_trunc('year', (l.created_at AT TIME ZONE 'Asia/Shanghai') + make_interval(months => $2::int))
       + interval '1 year'
  ELSE (l.created_at AT TIME ZONE 'Asia/Shanghai') + make_interval(months => $2::int) END)
  AT TIME ZONE 'Asia/Shanghai'"""

# One user's lots with what is left of each after FIFO use, and which of the rest expires now.
EXPIRABLE_SQL = f"""
WITH lots AS (
  SELECT l.id, l.delta, l.created_at, {DEADLINE_SQL} AS deadline,
         sum(l.delta) OVER (ORDER BY l.created_at, l.id) AS upto
  FROM pts_ledger l WHERE l.user_id = $1 AND l.delta > 0),
used AS (SELECT coalesce(-sum(delta), 0) AS used FROM pts_ledger WHERE user_id = $1 AND delta < 0),
rest AS (SELECT lots.*, greatest(0, least(lots.delta, lots.upto - used.used)) AS remaining FROM lots, used)
SELECT coalesce(sum(remaining), 0)::bigint AS amount, max(id) AS last_lot,
       (max(created_at) AT TIME ZONE 'Asia/Shanghai')::date AS received,
       ((max(deadline) - interval '1 microsecond') AT TIME ZONE 'Asia/Shanghai')::date AS valid_until
FROM rest WHERE remaining > 0 AND deadline <= now()
"""

# Users who may have something to expire: a positive balance and a lot past its validity. The
# created_at bound (month-end clamping shortens a validity by at most 3 days) lets the index cut.
CANDIDATES_SQL = f"""
SELECT DISTINCT l.user_id FROM pts_ledger l JOIN pts_account a ON a.user_id = l.user_id AND a.balance > 0
WHERE l.delta > 0 AND l.created_at < now() - make_interval(months => $2::int) + interval '4 days'
  AND {DEADLINE_SQL} <= now() AND l.user_id > $1
ORDER BY l.user_id LIMIT {BATCH}
"""


def policy_form(data: dict | None = None) -> Form:
    return Form([
        Field("expiry_enabled", L("Points expire"), "checkbox",
              help=L("When turned on, unspent points past their validity expire at the next hourly run.")),
        Field("expiry_months", L("Validity in months"), "int", required=True, min_value=1, max_value=240,
              help=L("Counted from the day the points were received; spending uses the oldest points first.")),
        Field("expiry_year_end", L("Valid until the end of that year"), "checkbox",
              help=L("Points then stay valid until 31 December (Beijing time) of the year their validity ends in.")),
    ], data or {})


async def get_policy() -> dict[str, Any]:
    return {"enabled": bool(await settings_store.get(KEYS["enabled"], DEFAULTS["enabled"])),
            "months": int(await settings_store.get(KEYS["months"], DEFAULTS["months"])),
            "year_end": bool(await settings_store.get(KEYS["year_end"], DEFAULTS["year_end"]))}


def form_data(policy: dict) -> dict:
    return {"expiry_enabled": "on" if policy["enabled"] else "", "expiry_months": policy["months"],
            "expiry_year_end": "on" if policy["year_end"] else ""}


def describe(policy: dict) -> str:
    if not policy["enabled"]:
        return _("Points never expire.")
    if policy["year_end"]:
        return _("Points are valid for %(n)s months, until the end of the year that period ends in.",
                 n=policy["months"])
    return _("Points are valid for %(n)s months after they were received.", n=policy["months"])


async def save_policy(actor: Actor, cleaned: dict[str, Any]) -> None:
    new = {"enabled": bool(cleaned["expiry_enabled"]), "months": int(cleaned["expiry_months"]),
           "year_end": bool(cleaned["expiry_year_end"])}
    async with db.transaction():
        before = await get_policy()
        for name, key in KEYS.items():
            await settings_store.put(key, new[name], actor.id)
        await audit.record(actor, "points.expiry.update", "pts_expiry", "", before=before, after=new,
                           summary=describe(new))


async def expirable(user_id: int, policy: dict) -> dict:
    """What would expire for this user now: amount, newest lot, its receipt date and validity end."""
    return await db.fetchrow(EXPIRABLE_SQL, user_id, policy["months"], policy["year_end"])


async def expire_user(user_id: int, policy: dict) -> api.Entry | None:
    """Expire the user's unspent points past their validity, in one transaction; None when nothing is due."""
    async with db.transaction():
        await api.lock_account(user_id)  # no spend in between: the amount below stays true
        due = await expirable(user_id, policy)
        if not due["amount"]:
            return None
        return await api.expire(
            user_id, due["amount"], key=f"expire:{user_id}:{due['last_lot']}", ref=f"lot:{due['last_lot']}",
            reason=_("Unspent points received by %(received)s (valid until %(until)s)",
                     received=due["received"].isoformat(), until=due["valid_until"].isoformat()))


async def run(progress: Callable[[int, int | None, str], Awaitable[None]] | None = None) -> dict:
    """The hourly run: nothing when the policy is off; else every due user, each in their own transaction
    (a crash leaves the finished ones done and the next run finishes the rest)."""
    policy = await get_policy()
    if not policy["enabled"]:
        return {"skipped": "disabled"}
    users = expired = points = 0
    after = 0
    while True:
        batch = [r["user_id"] for r in await db.fetch(CANDIDATES_SQL, after, policy["months"], policy["year_end"])]
        if not batch:
            break
        for user_id in batch:
            entry = await expire_user(user_id, policy)
            users += 1
            if entry is not None:
                expired += 1
                points -= entry.delta
        after = batch[-1]
        if progress:
            await progress(users, None, _("%(n)s members checked", n=users))
    return {"checked": users, "expired_users": expired, "expired_points": points}

"""Balance and billing (SMS-06): the balance counts segments; every change is one append-only ledger
row written in the same transaction as the balance update, so balance == sum(ledger) always holds.
A failed message refunds its segments exactly once (sms_message.refunded flips under the update)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import _


class InsufficientBalance(Invalid):
    def __init__(self, need: int, have: int):
        super().__init__("", _("Balance too low: this send needs %(need)s segments, the account has %(have)s.",
                           need=need, have=have))
        self.need, self.have = need, have


async def balance(account_id: int) -> int:
    return int(await db.fetchval("SELECT balance FROM sms_account WHERE id = $1", account_id) or 0)


async def _ledger(account_id: int, kind: str, amount: int, after: int, ref: str, note: str, actor: Actor) -> None:
    await db.execute("INSERT INTO sms_ledger (account, kind, amount, balance_after, ref, note, actor)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7)", account_id, kind, amount, after, ref, note[:300], actor.id)


async def _apply(account_id: int, amount: int, kind: str, actor: Actor, note: str, refused: str) -> int:
    """Change the balance by `amount` (never below zero) with its ledger row and audit entry."""
    async with db.transaction():
        after = await db.fetchval("UPDATE sms_account SET balance = balance + $2, updated_at = now()"
                                  " WHERE id = $1 AND balance + $2 >= 0 RETURNING balance", account_id, amount)
        if after is None:
            raise Invalid("amount", refused)
        await _ledger(account_id, kind, amount, after, "", note, actor)
        await audit.record(actor, f"sms.{kind}", "sms_account", account_id, after={"amount": amount, "balance": after},
                           summary=note)
    return int(after)


async def topup(account_id: int, amount: int, *, actor: Actor = SYSTEM, note: str = "") -> int:
    """Add `amount` segments; returns the new balance."""
    if amount <= 0:
        raise Invalid("amount", _("Enter a positive number of messages."))
    return await _apply(account_id, amount, "topup", actor, note, _("No such SMS account."))


async def adjust(account_id: int, amount: int, *, actor: Actor, note: str) -> int:
    """Correction in either direction (never below zero)."""
    return await _apply(account_id, amount, "adjust", actor, note, _("The balance cannot become negative."))


async def charge(account_id: int, amount: int, *, ref: str, actor: Actor = SYSTEM, note: str = "") -> int:
    """Spend `amount` segments or raise InsufficientBalance; joins the caller's transaction (the send)."""
    if amount <= 0:
        return await balance(account_id)
    after = await db.fetchval("UPDATE sms_account SET balance = balance - $2, updated_at = now()"
                              " WHERE id = $1 AND balance >= $2 RETURNING balance", account_id, amount)
    if after is None:
        raise InsufficientBalance(amount, await balance(account_id))
    await _ledger(account_id, "charge", -amount, after, ref, note, actor)
    return int(after)


async def refund(message_ids: list[int], *, note: str = "") -> int:
    """Give back the segments of failed (or cancelled) messages, each at most once; returns segments refunded.
    Joins the caller's transaction (the receipt / failure update)."""
    if not message_ids:
        return 0
    rows = await db.fetch(
        "WITH r AS (UPDATE sms_message SET refunded = true WHERE id = ANY($1::bigint[]) AND NOT refunded AND cost > 0"
        " AND status IN ('failed', 'expired', 'rejected', 'cancelled')"
        " RETURNING account, cost, id)"
        " SELECT account, sum(cost)::bigint AS total, count(*) AS n, min(id) AS lo, max(id) AS hi"
        " FROM r GROUP BY account ORDER BY account", message_ids)
    total = 0
    for r in rows:
        after = await db.fetchval("UPDATE sms_account SET balance = balance + $2, updated_at = now() WHERE id = $1"
                                  " RETURNING balance", r["account"], r["total"])
        ref = f"message:{r['lo']}" if r["n"] == 1 else f"messages:{r['lo']}-{r['hi']}"
        await _ledger(r["account"], "refund", r["total"], after, ref, note or f"{r['n']} failed", SYSTEM)
        total += r["total"]
    return total


async def ledger_consistent(account_id: int) -> bool:
    """The balance equals the sum of the ledger (checked by tests and the monitor)."""
    row = await db.fetchrow("SELECT a.balance, COALESCE((SELECT sum(amount) FROM sms_ledger WHERE account = a.id), 0)"
                            " AS total FROM sms_account a WHERE a.id = $1", account_id)
    return row is not None and row["balance"] == row["total"]


async def ledger(account_id: int, *, limit: int = 50, offset: int = 0) -> list[dict]:
    return await db.fetch("SELECT * FROM sms_ledger WHERE account = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
                          account_id, limit, offset)


async def monthly_totals(account_id: int, *, months: int = 12) -> list[dict]:
    """Consumption per month: charged, refunded, net, topped up (segments)."""
    return await db.fetch(
        "SELECT to_char(date_trunc('month', created_at), 'YYYY-MM') AS month,"
        " -sum(amount) FILTER (WHERE kind = 'charge') AS charged,"
        " sum(amount) FILTER (WHERE kind = 'refund') AS refunded,"
        " sum(amount) FILTER (WHERE kind = 'topup') AS topped_up"
        " FROM sms_ledger WHERE account = $1 AND created_at >= date_trunc('month', now()) - make_interval(months => $2)"
        " GROUP BY 1 ORDER BY 1 DESC", account_id, months)

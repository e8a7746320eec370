"""The message service's "sms" channel (SUP-07 → SMS): notify(..., channels=("sms",)) queues the text in
the SMS outbox under the system account, so it gets the same checks, billing, retries and receipts."""
from __future__ import annotations

from app.core import db
from app.sms import outbox


async def system_account() -> int:
    account = await db.fetchval("SELECT id FROM sms_account WHERE is_system AND status = 'active' ORDER BY id LIMIT 1")
    if account is None:
        raise RuntimeError("no active SMS system account (is_system) to send notifications through")
    return account


async def send(delivery: dict, subject: str, body: str) -> None:
    """Sender registered with app.core.notify; raising marks the delivery failed (the job retries).
    It runs in the transaction that marks the delivery sent (outbox.send joins it): the outbox rows and
    that status commit together, so a worker dying after the handoff cannot make the retry queue it again."""
    await outbox.send(await system_account(), to=[delivery["address"]], text=body or subject, source="notify")

"""Balance and ledger (SMS-06): top-ups, charges and refunds are ledger rows; the balance never goes
negative, always equals the ledger sum, and the ledger cannot be edited; monthly totals."""
import asyncpg
import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.sms import billing, outbox


async def hq(db) -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


@pytest.mark.req("SMS-06")
async def test_topup_charge_refund_once_and_ledger_is_append_only(db):
    account = await hq(db)
    start = await billing.balance(account)
    assert await billing.topup(account, 500, actor=SYSTEM, note="合同 2026-11") == start + 500
    with pytest.raises(Invalid):
        await billing.topup(account, 0, actor=SYSTEM, note="")
    sent = await outbox.send(account, to=["13800138000", "13800138001"], text="x" * 161)  # 2 segments each
    assert sent.cost == 4 and await billing.balance(account) == start + 496
    ids = [r["id"] for r in await db.fetch("SELECT id FROM sms_message WHERE batch = $1", sent.batch_id)]
    assert await billing.refund(ids) == 0  # queued messages are not refunded
    await db.execute("UPDATE sms_message SET status = 'failed' WHERE batch = $1", sent.batch_id)
    assert await billing.refund(ids) == 4
    assert await billing.refund(ids) == 0  # once only
    assert await billing.balance(account) == start + 500
    assert await billing.ledger_consistent(account)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE sms_ledger SET amount = 1000000 WHERE account = $1", account)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("DELETE FROM sms_ledger WHERE account = $1", account)
    months = await billing.monthly_totals(account)
    assert months[0]["charged"] == 4 and months[0]["refunded"] == 4 and months[0]["topped_up"] >= 500


@pytest.mark.req("SMS-06")
async def test_short_balance_refuses_the_whole_send(db):
    account = await hq(db)
    await billing.adjust(account, -(await billing.balance(account)) + 3, actor=SYSTEM, note="test")
    with pytest.raises(billing.InsufficientBalance, match="needs 4 segments, the account has 3"):
        await outbox.send(account, to=["13800138000", "13800138001", "13800138002", "13800138003"], text="x")
    assert await db.fetchval("SELECT count(*) FROM sms_batch WHERE account = $1", account) == 0
    assert await billing.balance(account) == 3
    with pytest.raises(Invalid, match="cannot become negative"):
        await billing.adjust(account, -4, actor=SYSTEM, note="")
    assert await billing.ledger_consistent(account)

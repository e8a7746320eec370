"""Dispatcher against the SMPP simulator (SMS-10, SMS-11, SMS-04): send → submitted → delivered with
receipts; long messages as concatenated segments; refunds on failure; scheduled sends wait; crash
recovery is exactly-once; a channel disabled at runtime hands its traffic to the other one."""
import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app.sms import billing, outbox
from app.sms.dispatcher import Dispatcher
from tests.sms.conftest import add_channel, statuses, wait_for, witness


async def hq(db) -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


@pytest.mark.req("SMS-10")
async def test_send_is_submitted_and_delivered_with_receipts(db, sim, dispatcher, tmp_path):
    account = await hq(db)
    before = await billing.balance(account)
    result = await outbox.send(account, to=["13800138000", "13800138001"], text="Hello alumni")
    await wait_for(lambda: _done(db, result.batch_id, {"delivered": 2}))
    rows = await db.fetch("SELECT * FROM sms_message WHERE batch = $1 ORDER BY id", result.batch_id)
    assert all(r["status"] == "delivered" and r["receipt_status"] == "DELIVRD" and r["attempt"] == 1 for r in rows)
    assert all(len(r["channel_ids"]) == 1 and r["report_seq"] for r in rows)
    lines = witness(tmp_path / "witness.log")
    assert sorted(line[1] for line in lines) == sorted(f"m{r['id']}" for r in rows)
    await dispatcher.flush()
    assert await billing.balance(account) == before - 2 and await billing.ledger_consistent(account)


async def _done(db, batch_id, expected):
    return await statuses(db, batch_id) == expected


@pytest.mark.req("SMS-04")
async def test_long_message_goes_as_concatenated_segments_and_bills_each(db, sim, dispatcher, tmp_path):
    account = await hq(db)
    before = await billing.balance(account)
    text = "校友会年会通知：" + "欢迎各位校友回到母校参加年度聚会，共叙同窗情谊。" * 6  # > 70 UCS-2 chars
    result = await outbox.send(account, to=["13900139000"], text=text)
    assert result.segments == 3 and result.cost == 3
    assert await billing.balance(account) == before - 3
    await wait_for(lambda: _done(db, result.batch_id, {"delivered": 1}))
    row = await db.fetchrow("SELECT * FROM sms_message WHERE batch = $1", result.batch_id)
    assert row["segments"] == 3 and len(row["channel_ids"]) == 3 and row["encoding"] == "ucs2"
    parts = sorted(line[2] for line in witness(tmp_path / "witness.log") if line[1] == f"m{row['id']}")
    assert parts == ["1/3", "2/3", "3/3"]
    assert await billing.ledger_consistent(account)


@pytest.mark.req("SMS-06")
async def test_undelivered_message_refunds_its_segments_once(db, tmp_path):
    from app.adapters.sms_channels.simulator import start_simulator

    sim = await start_simulator(receipt_fail_rate=1.0)
    await db.execute("DELETE FROM sms_channel")
    await add_channel(db, "failing", sim.port)
    d = Dispatcher(reload_s=0.3, idle_s=0.1)
    await d.start()
    try:
        account = await hq(db)
        before = await billing.balance(account)
        result = await outbox.send(account, to=["13700137000", "13700137001"], text="Hi")
        await wait_for(lambda: _done(db, result.batch_id, {"failed": 2}))
        await d.flush()
        assert await billing.balance(account) == before
        refunds = await db.fetch("SELECT amount FROM sms_ledger WHERE account = $1 AND kind = 'refund'", account)
        assert sum(r["amount"] for r in refunds) == 2
        # the same receipts again change nothing (idempotent state machine)
        ids = await db.fetch("SELECT c.channel, c.channel_msg_id FROM sms_channel_id c JOIN sms_message m"
                             " ON m.id = c.message WHERE m.batch = $1", result.batch_id)
        from app.adapters.sms_channels.base import Receipt
        for r in ids:
            d.store.add_receipt(r["channel"], Receipt(r["channel_msg_id"], "DELIVRD"))
        await d.flush()
        assert await statuses(db, result.batch_id) == {"failed": 2}
        assert await billing.balance(account) == before and await billing.ledger_consistent(account)
    finally:
        await d.stop()
        await sim.stop()


@pytest.mark.req("SMS-03")
async def test_scheduled_send_waits_for_its_time(db, sim, dispatcher, tmp_path):
    account = await hq(db)
    later = await outbox.send(account, to=["13600136000"], text="Later",
                              scheduled_at=datetime.now(UTC) + timedelta(hours=1))
    soon = await outbox.send(account, to=["13600136001"], text="Soon",
                             scheduled_at=datetime.now(UTC) + timedelta(seconds=1))
    await wait_for(lambda: _done(db, soon.batch_id, {"delivered": 1}), timeout=10)
    # it left `scheduled` when it went out, and is done now that its only message is final
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", soon.batch_id) == "done"
    assert await statuses(db, later.batch_id) == {"scheduled": 1}
    assert not [line for line in witness(tmp_path / "witness.log") if line[3].endswith("13600136000")]
    assert await outbox.cancel_scheduled(later.batch_id, user_id=None) == 1
    assert await statuses(db, later.batch_id) == {"cancelled": 1}


@pytest.mark.req("SMS-10")
async def test_recovery_does_not_resend_what_the_smsc_holds_and_sends_the_rest_once(db, sim, channel, tmp_path):
    from app.adapters.sms_channels.base import OutboundSms
    from app.adapters.sms_channels.factory import make_channel

    account = await hq(db)
    result = await outbox.send(account, to=["13500135000", "13500135001", "13500135002"], text="Crash test")
    ids = [r["id"] for r in await db.fetch("SELECT id FROM sms_message WHERE batch = $1 ORDER BY id", result.batch_id)]
    # a dispatcher claimed all three and died: the first reached the SMSC, the others did not
    await db.execute("UPDATE sms_message SET status = 'submitting', attempt = 1, channel = $2, submitting_at = now()"
                     " WHERE batch = $1", result.batch_id, channel)
    client = make_channel("direct", "smpp", {"host": "127.0.0.1", "port": sim.port, "system_id": "tc",
                                             "password": "secret"})
    await client.start()
    assert await client.wait_bound()
    sent = await client.submit(OutboundSms(f"m{ids[0]}", "13500135000", "Crash test"))
    assert sent.ok
    await client.stop()

    d = Dispatcher(reload_s=0.3, idle_s=0.1)
    await d.start()
    try:
        # the first one's receipt went to the session that submitted it (as an SMSC does)
        await wait_for(lambda: _done(db, result.batch_id, {"submitted": 1, "delivered": 2}))
    finally:
        await d.stop()
    refs = [line[1] for line in witness(tmp_path / "witness.log")]
    assert sorted(refs) == sorted(f"m{i}" for i in ids)  # each exactly once
    first = await db.fetchrow("SELECT channel_ids, attempt FROM sms_message WHERE id = $1", ids[0])
    assert first["channel_ids"] == sent.channel_ids and first["attempt"] == 2


@pytest.mark.req("SMS-11")
async def test_channel_disabled_at_runtime_moves_traffic_to_the_other(db, tmp_path):
    from app.adapters.sms_channels.simulator import start_simulator

    sim_a = await start_simulator(log_path=str(tmp_path / "a.log"))
    sim_b = await start_simulator(log_path=str(tmp_path / "b.log"))
    await db.execute("DELETE FROM sms_channel")
    a = await add_channel(db, "a", sim_a.port)
    await add_channel(db, "b", sim_b.port)
    d = Dispatcher(reload_s=0.2, idle_s=0.1, batch_size=5)  # small claims: both channels get some
    await d.start()
    try:
        await wait_for(lambda: len(d.registry.live) == 2 and all(c.healthy for c in d.registry.live.values()))
        account = await hq(db)
        first = await outbox.send(account, to=[f"1380000{i:04d}" for i in range(40)], text="both")
        await wait_for(lambda: _done(db, first.batch_id, {"delivered": 40}))

        assert sim_a.stats()["accepted"] and sim_b.stats()["accepted"]  # weighted across both

        await db.execute("UPDATE sms_channel SET enabled = false WHERE id = $1", a)
        await wait_for(lambda: list(d.registry.live) != [] and a not in d.registry.live)
        used_a = sim_a.stats()["accepted"]
        second = await outbox.send(account, to=[f"1390000{i:04d}" for i in range(30)], text="only b")
        await wait_for(lambda: _done(db, second.batch_id, {"delivered": 30}))
        assert sim_a.stats()["accepted"] == used_a

        # failover: b's SMSC goes away, a comes back → traffic flows through a
        await db.execute("UPDATE sms_channel SET enabled = true WHERE id = $1", a)
        await wait_for(lambda: a in d.registry.live and d.registry.live[a].healthy)
        await sim_b.stop()
        await wait_for(lambda: not [c for c in d.registry.live.values() if c.name == "b" and c.healthy], timeout=15)
        third = await outbox.send(account, to=["13700000001", "13700000002"], text="failover")
        await wait_for(lambda: _done(db, third.batch_id, {"delivered": 2}), timeout=15)
    finally:
        await d.stop()
        await sim_a.stop()
        await sim_b.stop()


@pytest.mark.req("SMS-10")
async def test_receipt_overtaking_its_submit_response_is_kept_and_applied(db, channel):
    """The SMSC may send the receipt before we wrote the submit response: it is stored at once (so it
    can be acknowledged) and applied when the response is written."""
    from app.adapters.sms_channels.base import Receipt
    from app.sms.dispatch_store import Store

    account = await hq(db)
    result = await outbox.send(account, to=["13100131000"], text="early")
    message_id = await db.fetchval("SELECT id FROM sms_message WHERE batch = $1", result.batch_id)
    await db.execute("UPDATE sms_message SET status = 'submitting', attempt = 1 WHERE id = $1", message_id)
    store = Store()
    store.add_receipt(channel, Receipt("X-1", "DELIVRD"))
    await store.flush()
    assert await statuses(db, result.batch_id) == {"submitting": 1}
    store.pending.submitted.append((message_id, channel, ["X-1"]))
    await store.flush()
    assert await statuses(db, result.batch_id) == {"delivered": 1}
    store.add_receipt(channel, Receipt("X-1", "ENROUTE"))  # late intermediate state changes nothing
    store.add_receipt(channel, Receipt("X-1", "UNDELIV"))  # nor does a second, contradicting receipt
    await store.flush()
    assert await statuses(db, result.batch_id) == {"delivered": 1}
    assert await db.fetchval("SELECT receipt_status FROM sms_channel_id WHERE channel_msg_id = 'X-1'") == "DELIVRD"


@pytest.mark.req("SMS-10")
async def test_throttled_submit_backs_off_and_is_sent_once_later(db, tmp_path):
    from app.adapters.sms_channels.simulator import start_simulator

    sim = await start_simulator(fail_rate=1.0, fail_status="ESME_RTHROTTLED", log_path=str(tmp_path / "w.log"))
    await db.execute("DELETE FROM sms_channel")
    await add_channel(db, "busy", sim.port)
    d = Dispatcher(reload_s=0.3, idle_s=0.1)
    await d.start()
    try:
        result = await outbox.send(await hq(db), to=["13300133000"], text="later")
        row = await wait_for(lambda: db.fetchrow("SELECT * FROM sms_message WHERE batch = $1 AND status = 'queued'"
                                                 " AND attempt = 1", result.batch_id))
        assert row["reason"] == "ESME_RTHROTTLED" and row["next_attempt_at"] > row["submitting_at"]
        sim.fail_rate = 0.0
        await db.execute("UPDATE sms_message SET next_attempt_at = now() WHERE id = $1", row["id"])  # skip the wait
        await wait_for(lambda: _done(db, result.batch_id, {"delivered": 1}))
        assert await db.fetchval("SELECT attempt FROM sms_message WHERE id = $1", row["id"]) == 2
    finally:
        await d.stop()
        await sim.stop()
    assert [line[1] for line in witness(tmp_path / "w.log")] == [f"m{row['id']}"]


@pytest.mark.req("SMS-10")
def test_account_flow_control_defers_what_exceeds_the_budget():
    from app.sms.channels import TokenBucket

    d = Dispatcher()
    d.accounts = {1: TokenBucket(10), 2: TokenBucket(0)}  # 10/s (burst 5) and unlimited
    due = [{"id": i, "account": 1} for i in range(20)] + [{"id": 100 + i, "account": 2} for i in range(20)]
    allowed, deferred = d._account_flow(due)
    assert [i for i in allowed if i < 100] == [0, 1, 2, 3, 4] and len([i for i in allowed if i >= 100]) == 20
    (delay, ids), = deferred.items()
    assert ids == list(range(5, 20)) and 1.0 <= delay <= 2.0  # 15 more at 10/s


@pytest.mark.req("SMS-10")
async def test_outcomes_survive_lost_database_connections(db, channel):
    """PostgreSQL drops the connection in the middle of a flush (as in a restart): the outcomes stay in memory
    and are written once the database answers again."""
    from app.sms.dispatch_store import Store

    result = await outbox.send(await hq(db), to=["13200132000"], text="outage")
    message_id = await db.fetchval("SELECT id FROM sms_message WHERE batch = $1", result.batch_id)
    await db.execute("UPDATE sms_message SET status = 'submitting', attempt = 1 WHERE id = $1", message_id)
    store = Store()
    store.pending.submitted.append((message_id, channel, ["Y-1"]))
    # hold the row so the flush is mid-transaction, then kill the flush's server process
    locker = await asyncpg.connect(**db.engine().config)
    tx = locker.transaction()
    await tx.start()
    await locker.execute("SELECT 1 FROM sms_message WHERE id = $1 FOR UPDATE", message_id)
    flush = asyncio.create_task(store.flush())
    pid = await wait_for(lambda: db.fetchval("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                             " AND wait_event_type = 'Lock'"))
    await locker.execute("SELECT pg_terminate_backend($1)", pid)
    # whichever way asyncpg reports the killed server process (connection closed, admin shutdown, reset)
    with pytest.raises((asyncpg.InterfaceError, asyncpg.PostgresError, OSError)):
        await flush
    assert len(store.pending) == 1  # kept in memory
    await tx.rollback()
    await locker.close()
    await store.flush()
    assert await statuses(db, result.batch_id) == {"submitted": 1}
    assert await db.fetchval("SELECT message FROM sms_channel_id WHERE channel_msg_id = 'Y-1'") == message_id


@pytest.mark.req("SMS-10")
async def test_second_dispatcher_waits_as_standby(db, channel):
    first = Dispatcher(reload_s=0.3)
    await first.start()
    second = Dispatcher(reload_s=0.3)
    waiting = asyncio.create_task(second.start())
    await asyncio.sleep(1.5)
    assert not waiting.done()  # the advisory lock is held by the first
    await first.stop()
    await asyncio.wait_for(waiting, 5)
    await second.stop()

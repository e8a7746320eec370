"""SUP-07 → SMS: the message service's sms channel hands a notification to the SMS outbox exactly once,
even when the worker dies (or fails) after the handoff and before the delivery was marked sent."""
import asyncio
import json

import pytest

from app.core import jobs, notify

PHONE = "13812345678"


async def _queue_sms(db) -> int:
    """One sms notification to the seeded `hq` user; returns its delivery id (status queued)."""
    user = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    await db.execute("UPDATE app_user SET phone = $2 WHERE id = $1", user, PHONE)
    await db.execute("INSERT INTO message_template (code, channel, subject, body) VALUES"
                     " ('sms.crash', 'sms', '', '【同窗】{{ name }}，您的活动报名已确认') ON CONFLICT DO NOTHING")
    assert await notify.notify([user], "sms.crash", {"name": "张三"}, channels=("sms",)) == 1
    return await db.fetchval("SELECT id FROM delivery_log WHERE user_id = $1 AND channel = 'sms'", user)


async def _outbox_messages(db) -> list[dict]:
    return await db.fetch("SELECT m.phone, m.text FROM sms_message m JOIN sms_batch b ON b.id = m.batch"
                          " WHERE b.source = 'notify' AND m.phone = $1", PHONE)


class WorkerDied(BaseException):
    """Stands for the process going away: not an Exception, so no handler catches it and nothing is
    marked — the job stays `running` until its lease expires."""


@pytest.mark.req("SUP-07")
@pytest.mark.parametrize("crash", ["worker_dies", "error_after_handoff"])
async def test_sms_is_queued_once_when_the_first_attempt_dies_after_the_handoff(db, monkeypatch, crash):
    delivery_id = await _queue_sms(db)
    real_sender = notify._senders["sms"]
    calls = []

    async def dies_after_handoff(delivery, subject, body):
        await real_sender(delivery, subject, body)  # the real handoff to the SMS outbox
        calls.append(delivery["id"])
        if len(calls) == 1:  # first attempt: gone before the delivery is marked sent
            raise WorkerDied() if crash == "worker_dies" else ConnectionResetError("connection lost")

    monkeypatch.setitem(notify._senders, "sms", dies_after_handoff)

    if crash == "worker_dies":
        with pytest.raises(WorkerDied):
            await jobs.drain()
        job = await db.fetchrow("SELECT * FROM job WHERE dedupe_key = $1", f"delivery:{delivery_id}")
        assert job["status"] == "running"  # nobody recorded the outcome
        # The dead worker stops renewing its lease; let it run out so another worker takes the job.
        await db.execute("UPDATE job SET locked_until = now() - interval '1 second' WHERE id = $1", job["id"])
    else:
        await jobs.drain()
        job = await db.fetchrow("SELECT * FROM job WHERE dedupe_key = $1", f"delivery:{delivery_id}")
        assert job["status"] == "queued"  # retried after a backoff: make it due now
        await db.execute("UPDATE job SET run_at = now() WHERE id = $1", job["id"])

    assert await jobs.drain() == 1  # the retry
    assert calls == [delivery_id, delivery_id]
    assert await _outbox_messages(db) == [{"phone": PHONE, "text": "【同窗】张三，您的活动报名已确认"}]
    delivery = await db.fetchrow("SELECT status, attempts, error, sent_at FROM delivery_log WHERE id = $1", delivery_id)
    assert delivery["status"] == "sent" and delivery["error"] == "" and delivery["sent_at"] is not None
    assert delivery["attempts"] == 2
    assert await db.fetchval("SELECT status FROM job WHERE id = $1", job["id"]) == "done"
    # The segments of the single message were charged once.
    assert await db.fetchval("SELECT count(*) FROM sms_ledger l JOIN sms_batch b ON l.ref = 'batch:' || b.id"
                             " WHERE b.source = 'notify' AND l.kind = 'charge'") == 1

    # A later run of the same job (another stale claim) finds the delivery sent and queues nothing.
    await db.execute("UPDATE job SET status = 'queued', run_at = now() WHERE id = $1", job["id"])
    assert await jobs.drain() == 1
    assert len(await _outbox_messages(db)) == 1 and len(calls) == 2


@pytest.mark.req("SUP-07")
async def test_sms_refused_by_the_platform_marks_the_delivery_failed_and_queues_nothing(db):
    delivery_id = await _queue_sms(db)
    await db.execute("UPDATE sms_account SET status = 'suspended' WHERE is_system")
    await jobs.drain()
    delivery = await db.fetchrow("SELECT status, error FROM delivery_log WHERE id = $1", delivery_id)
    assert delivery["status"] == "failed" and "no active SMS system account" in delivery["error"]
    assert await _outbox_messages(db) == []


@pytest.mark.req("SUP-07")
async def test_a_second_worker_running_the_same_job_meanwhile_queues_nothing(db, monkeypatch):
    """Two workers on one delivery (a lease that ran out while the first was still busy): the second
    one starts after the first handed the SMS over but before it marked the delivery."""
    delivery_id = await _queue_sms(db)
    job = await db.fetchrow("SELECT * FROM job WHERE dedupe_key = $1", f"delivery:{delivery_id}")
    real_sender = notify._senders["sms"]
    handed_over = asyncio.Event()

    async def slow_after_handoff(delivery, subject, body):
        await real_sender(delivery, subject, body)
        if not handed_over.is_set():
            handed_over.set()
            await asyncio.sleep(0.5)  # still working when the second worker takes the job

    monkeypatch.setitem(notify._senders, "sms", slow_after_handoff)
    run = jobs.HANDLERS["notify.send"]
    payload = json.loads(job["payload"]) if isinstance(job["payload"], str) else job["payload"]

    async def second_worker():
        await handed_over.wait()
        return await run(jobs.JobContext(job["id"], job["kind"], payload, 2, "w2"))

    first, second = await asyncio.gather(run(jobs.JobContext(job["id"], job["kind"], payload, 1, "w1")),
                                         second_worker())
    assert first == {"sent": PHONE} and second == {"skipped": True}
    assert len(await _outbox_messages(db)) == 1
    assert await db.fetchval("SELECT status FROM delivery_log WHERE id = $1", delivery_id) == "sent"

"""NFR-05: background jobs survive duplicates, failures and dead workers; schedules fire once per slot."""
import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.core import jobs

CALLS: list[dict] = []
RELEASE = asyncio.Event()


@jobs.handler("test.ok")
async def _ok(ctx):
    CALLS.append({"id": ctx.id, "attempt": ctx.attempt, "worker": ctx.worker, "payload": ctx.payload})
    return {"seen": ctx.payload.get("n")}


@jobs.handler("test.boom")
async def _boom(ctx):
    CALLS.append({"id": ctx.id, "attempt": ctx.attempt})
    raise RuntimeError(f"boom on attempt {ctx.attempt}")


@jobs.handler("test.slow")
async def _slow(ctx):
    await ctx.progress(3, 10, "三分之一 done")
    await RELEASE.wait()
    return "finished"


@pytest.fixture
async def job_db(db):
    """Only this test's jobs and schedules are due (the baseline comes back for the next test)."""
    await db.execute("DELETE FROM job")
    await db.execute("DELETE FROM job_schedule")
    CALLS.clear()
    RELEASE.clear()
    return db


async def _job(db, job_id: int) -> dict:
    return await db.fetchrow("SELECT *, run_at - now() AS wait FROM job WHERE id = $1", job_id)


@pytest.mark.req("NFR-05")
async def test_same_dedupe_key_queues_one_job(job_db):
    first = await jobs.enqueue("test.ok", {"n": 1}, dedupe_key="import:42")
    second = await jobs.enqueue("test.ok", {"n": 2}, dedupe_key="import:42")
    other = await jobs.enqueue("test.ok", {"n": 3}, dedupe_key="import:43")
    assert first == second != other
    assert await job_db.fetchval("SELECT count(*) FROM job WHERE dedupe_key = 'import:42'") == 1
    assert await jobs.drain() == 2
    assert sorted(c["payload"]["n"] for c in CALLS) == [1, 3]  # the first payload wins, the duplicate ran never


@pytest.mark.req("NFR-05")
async def test_failing_job_is_retried_with_growing_backoff_then_failed(job_db):
    job_id = await jobs.enqueue("test.boom", {}, max_attempts=3)
    waits = []
    for attempt in (1, 2):
        assert await jobs.run_one("w1")
        row = await _job(job_db, job_id)
        assert (row["status"], row["attempts"]) == ("queued", attempt)
        assert f"boom on attempt {attempt}" in row["error"] and row["locked_until"] is None
        waits.append(row["wait"].total_seconds())
        assert not await jobs.run_one("w1")  # not retried before its backoff is over
        await job_db.execute("UPDATE job SET run_at = now() WHERE id = $1", job_id)  # time passes
    assert 5 < waits[0] <= 10 and 15 < waits[1] <= 20  # 5 s × 2^attempt
    assert await jobs.run_one("w1")
    row = await _job(job_db, job_id)
    assert (row["status"], row["attempts"]) == ("failed", 3) and row["finished_at"] is not None
    assert "boom on attempt 3" in row["error"]
    assert [c["attempt"] for c in CALLS] == [1, 2, 3]
    assert not await jobs.run_one("w1")  # a failed job stays failed


@pytest.mark.req("NFR-05")
async def test_job_of_a_crashed_worker_is_taken_over_after_its_lease(job_db):
    job_id = await jobs.enqueue("test.ok", {"n": 7})
    claimed = await jobs.claim("A")  # worker A takes the job … and dies (never finishes, never renews)
    assert (claimed["id"], claimed["status"], claimed["locked_by"]) == (job_id, "running", "A")
    assert not await jobs.run_one("B")  # the lease is still valid: nobody else may run it
    await job_db.execute("UPDATE job SET locked_until = now() - interval '1 second' WHERE id = $1", job_id)
    assert await jobs.run_one("B")
    row = await _job(job_db, job_id)
    assert (row["status"], row["attempts"], row["locked_by"]) == ("done", 2, "B")
    assert row["result"] in ({"seen": 7}, '{"seen": 7}')
    assert [{"id": job_id, "attempt": 2, "worker": "B", "payload": {"n": 7}}] == CALLS
    # A late word from the dead worker changes nothing: it no longer holds the lease.
    await jobs.JobContext(job_id, "test.ok", {}, 1, "A").progress(1, 99, "zombie")
    assert (await _job(job_db, job_id))["message"] != "zombie"


@pytest.mark.req("NFR-05")
async def test_progress_is_visible_in_the_job_row_while_running(job_db):
    job_id = await jobs.enqueue("test.slow", {})
    runner = asyncio.create_task(jobs.run_one("w1"))
    try:
        for _ in range(200):
            row = await _job(job_db, job_id)
            if row["progress"]:
                break
            await asyncio.sleep(0.01)
        assert (row["status"], row["progress"], row["total"], row["message"]) == ("running", 3, 10, "三分之一 done")
        assert row["locked_until"] > datetime.now(UTC) + timedelta(seconds=jobs.LEASE_SECONDS - 5)
    finally:
        RELEASE.set()
        assert await runner
    row = await _job(job_db, job_id)
    assert (row["status"], row["progress"], row["total"]) == ("done", 10, 10)


@pytest.mark.req("NFR-05")
async def test_schedule_slot_enqueues_exactly_one_job(job_db):
    slot = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    await job_db.execute("INSERT INTO job_schedule (name, kind, interval_seconds, payload, next_run_at) "
                         "VALUES ('test.nightly', 'test.ok', 3600, '{\"n\": 9}'::jsonb, $1)", slot)
    counts = await asyncio.gather(jobs.enqueue_due_schedules(), jobs.enqueue_due_schedules())  # two workers
    assert await jobs.enqueue_due_schedules() == 0  # and a third, later
    assert sorted(counts) == [0, 1]
    key = f"schedule:test.nightly:{slot.isoformat()}"
    assert await job_db.fetchval("SELECT count(*) FROM job WHERE kind = 'test.ok'") == 1
    assert await job_db.fetchval("SELECT dedupe_key FROM job WHERE kind = 'test.ok'") == key
    schedule = await job_db.fetchrow("SELECT * FROM job_schedule WHERE name = 'test.nightly'")
    assert schedule["next_run_at"] > datetime.now(UTC) + timedelta(minutes=59)
    # A worker that read the slot before the update (a lost race) still cannot queue it twice.
    await job_db.execute("UPDATE job_schedule SET next_run_at = $1 WHERE name = 'test.nightly'", slot)
    assert await jobs.enqueue_due_schedules() == 1
    assert await job_db.fetchval("SELECT count(*) FROM job WHERE kind = 'test.ok'") == 1
    assert await jobs.drain() == 1 and CALLS[0]["payload"] == {"n": 9}


@pytest.mark.req("NFR-05")
async def test_finished_jobs_are_pruned_after_their_retention_and_the_rest_stay(job_db):
    from app.core import job_retention, settings_store

    await settings_store.put("jobs.retention_days.scheduled", 7)
    await settings_store.put("jobs.retention_days.other", 90)

    async def job(status: str, days_ago: float, dedupe: str | None) -> int:
        finished = None if status in ("queued", "running") else datetime.now(UTC) - timedelta(days=days_ago)
        return await job_db.fetchval("INSERT INTO job (kind, status, dedupe_key, finished_at, payload)"
                                     " VALUES ('test.ok', $1, $2, $3, '{}') RETURNING id", status, dedupe, finished)

    old_schedule_run = await job("done", 8, "schedule:x:1")
    fresh_schedule_run = await job("done", 6, "schedule:x:2")
    old_export = await job("failed", 91, None)
    recent_export = await job("done", 30, None)
    cancelled_long_ago = await job("cancelled", 100, None)
    queued = await job("queued", 0, None)
    # the scheduled clean-up is registered with the worker's schedules
    assert jobs.SCHEDULES["core.jobs.prune"][0] == job_retention.KIND
    job_retention.BATCH, batch = 1, job_retention.BATCH  # several rounds of the batched DELETE
    try:
        result = await job_retention.prune()
    finally:
        job_retention.BATCH = batch
    assert result["deleted"] == 3
    left = {r["id"] for r in await job_db.fetch("SELECT id FROM job")}
    assert left == {fresh_schedule_run, recent_export, queued}
    assert not left & {old_schedule_run, old_export, cancelled_long_ago}

"""Background jobs and schedules on PostgreSQL.

A job is a row; workers claim it with FOR UPDATE SKIP LOCKED and hold a lease they renew while
working. A worker that dies (kill -9) stops renewing, the lease expires and another worker takes the
job again — so handlers must be idempotent (they record their progress in their own tables).
Handlers report progress, shown on the job page.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core import db

log = logging.getLogger("tongchuang.jobs")
LEASE_SECONDS = 30
HANDLERS: dict[str, Callable[[JobContext], Awaitable[Any]]] = {}
NOTIFY_CHANNEL = "tc_jobs"


def handler(kind: str):
    """Register `async def fn(ctx: JobContext)` for jobs of this kind."""

    def wrap(fn):
        HANDLERS[kind] = fn
        return fn

    return wrap


async def enqueue(kind: str, payload: dict | None = None, *, dedupe_key: str | None = None,
                  run_at: datetime | None = None, created_by: int | None = None, max_attempts: int = 3) -> int:
    """Queue a job (in the caller's transaction when there is one). Same dedupe_key → same job."""
    row = await db.fetchrow(
        "INSERT INTO job (kind, payload, dedupe_key, run_at, created_by, max_attempts) "
        "VALUES ($1, $2::jsonb, $3, COALESCE($4, now()), $5, $6) "
        "ON CONFLICT (dedupe_key) DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key RETURNING id",
        kind, json.dumps(payload or {}, ensure_ascii=False, default=str), dedupe_key, run_at, created_by,
        max_attempts)
    await db.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return row["id"]


async def get(job_id: int) -> dict | None:
    return await db.fetchrow("SELECT * FROM job WHERE id = $1", job_id)


@dataclass
class JobContext:
    id: int
    kind: str
    payload: dict
    attempt: int
    worker: str

    async def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report progress and renew the lease (call it at least every LEASE_SECONDS)."""
        await db.execute(
            "UPDATE job SET progress = $2, total = COALESCE($3, total), message = $4, "
            "locked_until = now() + make_interval(secs => $5) WHERE id = $1 AND locked_by = $6",
            self.id, done, total, message[:300], LEASE_SECONDS, self.worker)


async def claim(worker: str) -> dict | None:
    """Take one due job: queued, or running with an expired lease (its worker died)."""
    return await db.fetchrow(
        """UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = $1,
               locked_until = now() + make_interval(secs => $2), started_at = COALESCE(started_at, now())
           WHERE id = (SELECT id FROM job
                       WHERE (status = 'queued' AND run_at <= now())
                          OR (status = 'running' AND locked_until < now())
                       ORDER BY run_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
           RETURNING *""", worker, LEASE_SECONDS)


async def run_one(worker: str) -> bool:
    """Claim and run one job; returns False when nothing was due."""
    job = await claim(worker)
    if job is None:
        return False
    payload = json.loads(job["payload"]) if isinstance(job["payload"], str) else job["payload"]
    ctx = JobContext(job["id"], job["kind"], payload, job["attempts"], worker)
    fn = HANDLERS.get(job["kind"])
    if job["attempts"] > job["max_attempts"] or fn is None:
        reason = "no handler for this kind" if fn is None else "too many attempts"
        await db.execute("UPDATE job SET status = 'failed', error = $2, finished_at = now() WHERE id = $1",
                         job["id"], reason)
        return True
    renew = asyncio.create_task(_keep_lease(job["id"], worker))
    try:
        result = await fn(ctx)
    except Exception as exc:
        log.exception("job %s (%s) failed", job["id"], job["kind"])
        final = job["attempts"] >= job["max_attempts"]
        await db.execute(
            "UPDATE job SET status = $2::varchar, error = $3, locked_by = '', locked_until = NULL, "
            "run_at = now() + make_interval(secs => $4), finished_at = CASE WHEN $2::varchar = 'failed' THEN now() END "
            "WHERE id = $1", job["id"], "failed" if final else "queued",
            f"{exc}\n{traceback.format_exc()[-2000:]}", 5 * 2 ** job["attempts"])
    else:
        await db.execute("UPDATE job SET status = 'done', result = $2::jsonb, finished_at = now(), "
                         "locked_until = NULL, progress = GREATEST(progress, total) WHERE id = $1",
                         job["id"], json.dumps(result, default=str, ensure_ascii=False))
    finally:
        renew.cancel()
    return True


async def _keep_lease(job_id: int, worker: str) -> None:
    while True:
        await asyncio.sleep(LEASE_SECONDS / 3)
        await db.execute("UPDATE job SET locked_until = now() + make_interval(secs => $3) "
                         "WHERE id = $1 AND locked_by = $2 AND status = 'running'", job_id, worker, LEASE_SECONDS)


# --- schedules ---------------------------------------------------------------------------------

SCHEDULES: dict[str, tuple[str, int, dict]] = {}


def schedule(name: str, kind: str, every_seconds: int, payload: dict | None = None) -> None:
    """Declare a recurring job; `sync_schedules` stores it (admins may disable it)."""
    SCHEDULES[name] = (kind, every_seconds, payload or {})


async def sync_schedules() -> None:
    for name, (kind, every, payload) in SCHEDULES.items():
        await db.execute("INSERT INTO job_schedule (name, kind, interval_seconds, payload) VALUES ($1,$2,$3,$4::jsonb) "
                         "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, "
                         "interval_seconds = EXCLUDED.interval_seconds",
                         name, kind, every, json.dumps(payload))


async def enqueue_due_schedules() -> int:
    """One job per schedule slot (dedupe key = name + slot time), even with several workers."""
    count = 0
    async with db.transaction():
        due = await db.fetch("SELECT * FROM job_schedule WHERE enabled AND next_run_at <= now() FOR UPDATE SKIP LOCKED")
        for s in due:
            slot = s["next_run_at"]
            await enqueue(s["kind"], json.loads(s["payload"]) if isinstance(s["payload"], str) else s["payload"],
                          dedupe_key=f"schedule:{s['name']}:{slot.isoformat()}")
            next_run = slot + timedelta(seconds=s["interval_seconds"])
            now = datetime.now(UTC)
            if next_run <= now:  # skip slots missed while no worker ran
                next_run = now + timedelta(seconds=s["interval_seconds"])
            await db.execute("UPDATE job_schedule SET next_run_at = $2, last_run_at = now() WHERE id = $1",
                             s["id"], next_run)
            count += 1
    return count


async def worker_loop(stop: asyncio.Event | None = None, idle_seconds: float = 1.0) -> None:
    """Run jobs until `stop` is set; wakes on NOTIFY, polls otherwise (for leases and schedules).
    The caller activates the modules first (app.modules.load()), which registers every handler."""
    stop = stop or asyncio.Event()
    name = f"{socket.gethostname()}:{os.getpid()}"
    wake = asyncio.Event()
    listener = await db.engine().get_new_connection()
    await listener.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
    await sync_schedules()
    from app.core import warmup

    warmup.start()  # PostgreSQL's buffers hot before the first user asks (e.g. the records tree counts)
    log.info("worker %s started", name)
    try:
        while not stop.is_set():
            await enqueue_due_schedules()
            while not stop.is_set() and await run_one(name):
                pass
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=idle_seconds)
    finally:
        await listener.close()


async def drain(max_jobs: int = 1000) -> int:
    """Run due jobs now in this process (tests, CLI; modules activated by the caller)."""
    done = 0
    while done < max_jobs and await run_one("inline"):
        done += 1
    return done

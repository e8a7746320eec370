"""Finished jobs are deleted after a retention period (a 15-second schedule alone leaves ~2 M rows a
year). Scheduled runs go sooner than jobs people started (exports, prints, imports), whose page and
result they may come back to. Expired rate-limit slots go with the same run. Settings:
jobs.retention_days.scheduled / jobs.retention_days.other."""
from __future__ import annotations

from app.core import db, jobs, settings_store

KIND = "core.jobs.prune"
BATCH = 5000  # rows per DELETE: short locks, no long transaction on a big backlog
FINISHED = ("done", "failed", "cancelled")

jobs.schedule("core.jobs.prune", KIND, 3600)


async def prune(max_batches: int = 1000) -> dict:
    scheduled = int(await settings_store.get("jobs.retention_days.scheduled"))
    other = int(await settings_store.get("jobs.retention_days.other"))
    deleted = 0
    for _ in range(max_batches):
        n = await db.fetchval(
            "WITH old AS (SELECT id FROM job WHERE status = ANY($1::varchar[]) AND finished_at IS NOT NULL"
            " AND finished_at < now() - make_interval(days =>"
            " CASE WHEN dedupe_key LIKE 'schedule:%' THEN $2::int ELSE $3::int END)"
            " LIMIT $4), gone AS (DELETE FROM job j USING old WHERE j.id = old.id RETURNING 1)"
            " SELECT count(*) FROM gone", list(FINISHED), scheduled, other, BATCH)
        deleted += n
        if n < BATCH:
            break
    from app.core import ratelimit

    return {"deleted": deleted, "rate_slots_deleted": await ratelimit.prune()}


@jobs.handler(KIND)
async def prune_job(ctx: jobs.JobContext) -> dict:
    return await prune()

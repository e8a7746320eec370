"""Data source sync jobs (REC-09): `rec.sync` runs one source; the periodic `rec.sync_due` queues the
sources whose interval has passed (one job per source and slot, even with several workers)."""
from __future__ import annotations

from app.core import db, jobs
from app.records import sync

jobs.schedule("rec.sync_due", "rec.sync_due", 60)


@jobs.handler("rec.sync")
async def sync_source(ctx: jobs.JobContext) -> dict:
    log_id = await sync.run_source(int(ctx.payload["source"]), ctx, ctx.payload.get("by"))
    row = await db.fetchrow("SELECT status, created, updated, skipped, failed FROM rec_sync_log WHERE id = $1", log_id)
    return {"log": log_id, **row}


@jobs.handler("rec.sync_due")
async def sync_due(ctx: jobs.JobContext) -> dict:
    queued = []
    for source_id in await sync.due_sources():
        slot = await db.fetchval("SELECT COALESCE(last_run_at::text, 'never') FROM rec_source WHERE id = $1", source_id)
        queued.append(await jobs.enqueue("rec.sync", {"source": source_id}, dedupe_key=f"rec.sync:{source_id}:{slot}"))
    return {"queued": len(queued)}

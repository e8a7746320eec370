"""The records module's background job handlers, thin: payload → service call → result. Their schedules
(rec.sync_due, rec.smart_tags, rec.birthday) are in module.py."""
from __future__ import annotations

from datetime import date

from app.core import jobs
from app.records import birthday, export, sync, tags


@jobs.handler("rec.birthday")
async def birthday_job(ctx: jobs.JobContext) -> dict:
    """Hourly so the configured send hour is honoured: nothing before that hour (unless forced), and
    rec_birthday_sent makes every later run that day a no-op."""
    day = date.fromisoformat(ctx.payload["day"]) if ctx.payload.get("day") else None
    return await birthday.run(day, force=bool(ctx.payload.get("force")), progress=ctx.progress)


@jobs.handler("rec.export")
async def export_records(ctx: jobs.JobContext) -> dict:
    """A big export (REC-10): the file waits in storage for its requester."""
    return await export.run_job(ctx)


@jobs.handler("rec.sync")
async def sync_source(ctx: jobs.JobContext) -> dict:
    """One run of a data source (REC-09); the result is its rec_sync_log row's counts."""
    return await sync.run_job(int(ctx.payload["source"]), ctx, ctx.payload.get("by"))


@jobs.handler("rec.sync_due")
async def sync_due(ctx: jobs.JobContext) -> dict:
    """Every minute: queues the sources whose interval has passed (one job per source and slot)."""
    return {"queued": len(await sync.queue_due())}


@jobs.handler("rec.smart_tags")
async def smart_tags_job(ctx: jobs.JobContext) -> dict:
    """Smart tag membership (REC-07): daily for every smart tag, or on demand for one."""
    tag_id = ctx.payload.get("tag")
    if tag_id:
        return await tags.recompute(int(tag_id))
    return await tags.recompute_all(progress=ctx.progress)

"""Big exports of alumni records (REC-10) run here; the file waits in storage for its requester."""
from __future__ import annotations

from app.core import imports, jobs
from app.core.storage import storage
from app.records import export


@jobs.handler("rec.export")
async def export_records(ctx: jobs.JobContext) -> dict:
    job = await jobs.get(ctx.id)
    actor = await imports.actor_for(job["created_by"], "")  # the requester's rights as of now
    filename, content, count = await export.build(actor, export.ExportRequest.from_payload(ctx.payload), ctx)
    key = f"exports/rec-{ctx.id}.{ctx.payload['fmt']}"
    storage().put(key, content)
    return {"key": key, "filename": filename, "rows": count}

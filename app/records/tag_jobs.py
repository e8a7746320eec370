"""Smart tag membership (REC-07): recomputed daily for every smart tag, or on demand for one tag."""
from __future__ import annotations

from app.core import jobs
from app.records import tags

jobs.schedule("rec.smart_tags", "rec.smart_tags", 86400)


@jobs.handler("rec.smart_tags")
async def smart_tags_job(ctx: jobs.JobContext) -> dict:
    tag_id = ctx.payload.get("tag")
    if tag_id:
        return await tags.recompute(int(tag_id))
    return await tags.recompute_all(progress=ctx.progress)

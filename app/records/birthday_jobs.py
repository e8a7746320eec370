"""The birthday greetings run (REC-14). Scheduled hourly so the configured send hour is honoured; the
run does nothing before that hour, and rec_birthday_sent makes every later run that day a no-op."""
from __future__ import annotations

from datetime import date

from app.core import jobs
from app.records import birthday

jobs.schedule("rec.birthday", "rec.birthday", 3600)


@jobs.handler("rec.birthday")
async def birthday_job(ctx: jobs.JobContext) -> dict:
    day = date.fromisoformat(ctx.payload["day"]) if ctx.payload.get("day") else None
    return await birthday.run(day, force=bool(ctx.payload.get("force")), progress=ctx.progress)

"""The points module's background job handlers, thin: payload → service call → result. Their schedules
are in module.py."""
from __future__ import annotations

from app.core import jobs
from app.points import expiry


@jobs.handler("pts.expire")
async def expire_points(ctx: jobs.JobContext) -> dict:
    """Hourly: does nothing while the expiry policy is off, and nothing twice (each user's expiry is worked
    out again under their account lock)."""
    return await expiry.run(progress=ctx.progress)

"""Points expiry run (app.points.expiry), scheduled hourly: does nothing while the policy is off, and
nothing twice (each user's expiry is worked out again under their account lock)."""
from __future__ import annotations

from app.core import jobs
from app.points import expiry

jobs.schedule("pts.expire", "pts.expire", 3600)


@jobs.handler("pts.expire")
async def expire_points(ctx: jobs.JobContext) -> dict:
    return await expiry.run(progress=ctx.progress)

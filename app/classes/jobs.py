"""The classes module's background job handlers, thin: payload → service call. Schedules are in module.py."""
from __future__ import annotations

from app.classes.module import COHESION_KIND, GENERATE_KIND
from app.core import jobs


@jobs.handler(GENERATE_KIND)
async def generate(ctx: jobs.JobContext) -> dict:
    """Daily and "Run now": classes created and renamed from the records, linked alumni joined."""
    from app.classes import generation

    return await generation.run(progress=ctx.progress)


@jobs.handler(COHESION_KIND)
async def cohesion(ctx: jobs.JobContext) -> dict:
    """Daily and "Recompute now": every class's cohesion score and breakdown."""
    from app.classes import cohesion as service

    return await service.compute(progress=ctx.progress)

"""The identity module's background job handlers, thin: payload → service call. Schedules are in module.py."""
from __future__ import annotations

from app.core import jobs
from app.identity.module import PURGE_KIND


@jobs.handler(PURGE_KIND)
async def purge(ctx: jobs.JobContext) -> dict:
    """Hourly: face photos past their retention, spent SMS codes and stale login states."""
    from app.identity import retention

    return await retention.run()

"""Background jobs of mass messaging (OPS-01): the minute tick that starts due campaigns and sends the next
throttled share of each (declared as the `ops.campaigns` schedule in module.py; confirming "send now" queues one
at once). Resumable: see app/ops/campaigns.py."""
from app.core import jobs
from app.ops import campaigns


@jobs.handler("ops.campaigns.tick")
async def campaigns_tick(ctx: jobs.JobContext) -> dict:
    return await campaigns.run_tick(campaign_id=ctx.payload.get("campaign"))

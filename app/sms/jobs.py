"""Background jobs of the SMS platform, thin: payload → the service that owns the rule. Their schedules
are declared in module.py."""
from app.core import jobs
from app.sms import dispatch_store, stats, webhooks

UNCONFIRMED_KIND = "sms.unconfirmed"  # SMS-10: no final receipt within the window → `unknown`
STATS_KIND = "sms.stats.rollup"  # SMS-07: the daily statistics rollup (sms_daily_stat)
WEBHOOKS_KIND = "sms.webhooks"  # SMS-01: webhook pushes, when the dispatcher is not running to push them


@jobs.handler(UNCONFIRMED_KIND)
async def resolve_unconfirmed(ctx: jobs.JobContext) -> dict:
    """`submitted` messages older than the receipt window become `unknown` (policy: dispatch_store)."""
    return await dispatch_store.resolve_unconfirmed(await dispatch_store.receipt_window_hours(ctx.payload.get("hours")))


@jobs.handler(STATS_KIND)
async def refresh_rollup(ctx: jobs.JobContext) -> dict:
    return await stats.refresh_daily_stats(int(ctx.payload.get("days") or stats.RECENT_DAYS))


@jobs.handler(WEBHOOKS_KIND)
async def push_webhooks(ctx: jobs.JobContext) -> dict:
    return {"pushed": await webhooks.push_all_due()}

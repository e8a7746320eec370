"""Keeps the SMS statistics rollup (sms_daily_stat, SMS-07) current: every 5 minutes the last two days,
once a day the last five weeks (late delivery reports); the first run fills in all history."""
from app.core import jobs
from app.sms import stats

KIND = "sms.stats.rollup"

jobs.schedule("sms.stats.rollup", KIND, stats.REFRESH_SECONDS, {"days": stats.RECENT_DAYS})
jobs.schedule("sms.stats.rollup_late", KIND, 86400, {"days": stats.LATE_DAYS})


@jobs.handler(KIND)
async def refresh_rollup(ctx: jobs.JobContext) -> dict:
    return await stats.refresh_daily_stats(int(ctx.payload.get("days") or stats.RECENT_DAYS))

"""Background pushes of SMS webhooks (delivery reports, MO); the dispatcher pushes too, this job
catches up when it is not running."""
from app.core import jobs
from app.sms import webhooks

jobs.schedule("sms.webhooks", "sms.webhooks", 15)


@jobs.handler("sms.webhooks")
async def push_webhooks(ctx: jobs.JobContext) -> dict:
    total = 0
    while (done := await webhooks.push_due()) > 0:
        total += done
    return {"pushed": total}

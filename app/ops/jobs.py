"""Background jobs of the operations module, thin: payload → the service that owns the rule. Their schedules are
declared in module.py."""
from app.core import jobs
from app.ops import payments, reminders

REMINDERS_KIND = "ops.reminders"  # OPS-02: event reminders at each event's offsets


@jobs.handler(REMINDERS_KIND)
async def send_reminders(ctx: jobs.JobContext) -> dict:
    return await reminders.send_due()


UNPAID_KIND = "ops.unpaid"  # OPS-02: unpaid reservations past their deadline free their places


@jobs.handler(UNPAID_KIND)
async def expire_unpaid(ctx: jobs.JobContext) -> dict:
    return await payments.expire_unpaid()

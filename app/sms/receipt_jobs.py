"""Resolves messages that never got a final delivery receipt (SMS-10): every 15 minutes, `submitted`
messages older than the receipt window — site setting `sms.receipt_window_hours` (default
dispatch_store.RECEIPT_WINDOW_HOURS), or the job payload's "hours" — become `unknown` by the policy in
app/sms/dispatch_store.py: final and reported, never resent, not refunded."""
from app.core import jobs, settings_store
from app.sms import dispatch_store

KIND = "sms.unconfirmed"

jobs.schedule("sms.unconfirmed", KIND, 900)


@jobs.handler(KIND)
async def resolve_unconfirmed(ctx: jobs.JobContext) -> dict:
    hours = ctx.payload.get("hours") or await settings_store.get("sms.receipt_window_hours",
                                                                   dispatch_store.RECEIPT_WINDOW_HOURS)
    return await dispatch_store.resolve_unconfirmed(float(hours))

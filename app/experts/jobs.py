"""Background jobs of the expert pool, thin: payload → the service that owns the rule."""
from app.core import jobs
from app.experts import invitations

REMINDERS_KIND = "experts.invitation_reminders"  # EXP-04: unanswered invitations 24 h before the project opens


@jobs.handler(REMINDERS_KIND)
async def remind_unanswered(ctx: jobs.JobContext) -> dict:
    return await invitations.send_reminders()

"""What the invitation tables guarantee themselves: one live invitation per expert and project, known statuses,
positive fees; indexes for the expert's list and the reminder job."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T23:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "experts invitation constraints and indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS exp_invitation_live ON exp_invitation (expert, project_ref)"
    " WHERE status IN ('invited', 'accepted', 'attended')",
    "ALTER TABLE exp_invitation ADD CONSTRAINT exp_invitation_status CHECK"
    " (status IN ('invited', 'accepted', 'declined', 'left', 'cancelled', 'attended'))",
    "CREATE INDEX IF NOT EXISTS exp_invitation_expert ON exp_invitation (expert, opens_at DESC)",
    "CREATE INDEX IF NOT EXISTS exp_invitation_pending ON exp_invitation (opens_at) WHERE status = 'invited'",
    "ALTER TABLE exp_fee ADD CONSTRAINT exp_fee_status CHECK (status IN ('pending', 'confirmed', 'disputed', 'paid'))",
    "ALTER TABLE exp_fee ADD CONSTRAINT exp_fee_amount CHECK (amount_cents >= 0)",
]


forwards = sql_forwards(ID, "experts", DESCRIPTION, STATEMENTS)

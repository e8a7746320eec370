"""What the expert tables guarantee themselves: one live expert per phone (deleted experts keep theirs), one
live application per phone, known statuses and levels; indexes for search, the approval queue and codes."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "experts constraints and indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS exp_expert_phone_live ON exp_expert (phone) WHERE status <> 'deleted'",
    "ALTER TABLE exp_expert ADD CONSTRAINT exp_expert_status CHECK (status IN ('formal', 'deleted', 'blacklisted'))",
    "ALTER TABLE exp_expert ADD CONSTRAINT exp_expert_source CHECK"
    " (source IN ('apply', 'recommend', 'admin', 'import'))",
    "CREATE INDEX IF NOT EXISTS exp_expert_fields ON exp_expert USING gin (fields)",
    "CREATE INDEX IF NOT EXISTS exp_expert_user ON exp_expert (\"user\") WHERE \"user\" IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS exp_expert_status_idx ON exp_expert (status, id)",
    "ALTER TABLE exp_field ADD CONSTRAINT exp_field_level CHECK (level BETWEEN 1 AND 3)",
    "ALTER TABLE exp_application ADD CONSTRAINT exp_application_status CHECK"
    " (status IN ('draft', 'pending', 'approved', 'rejected'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS exp_application_live ON exp_application (phone)"
    " WHERE status IN ('draft', 'pending')",
    "CREATE INDEX IF NOT EXISTS exp_application_queue ON exp_application (status, level, submitted_at)",
    "CREATE INDEX IF NOT EXISTS exp_code_target ON exp_code (target, channel, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS exp_change_expert ON exp_change (expert, created_at DESC)",
]


forwards = sql_forwards(ID, "experts", DESCRIPTION, STATEMENTS)

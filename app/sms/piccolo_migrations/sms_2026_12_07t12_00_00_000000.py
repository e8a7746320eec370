"""A batch is marked done when none of its messages waits any more (app.sms.dispatch_store): that check
reads this partial index instead of the batch's finished messages."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sms_message waiting messages by batch"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS sms_message_batch_waiting ON sms_message (batch)"
    " WHERE status IN ('scheduled', 'queued', 'submitting', 'submitted')",
]


forwards = sql_forwards(ID, "sms", DESCRIPTION, STATEMENTS)

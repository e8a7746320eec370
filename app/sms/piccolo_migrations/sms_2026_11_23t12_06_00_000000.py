"""What Piccolo cannot express: the dispatcher's partial queue indexes, the receipt lookup key, the
report cursor sequence, the non-negative balance and the append-only ledger."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T12:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sms queue indexes, ledger guard"

STATEMENTS = [
    # Due work for the dispatcher: only the small set of waiting rows is indexed.
    "CREATE INDEX IF NOT EXISTS sms_message_due ON sms_message (next_attempt_at) "
    "WHERE status IN ('queued', 'scheduled')",
    "CREATE INDEX IF NOT EXISTS sms_message_submitting ON sms_message (submitting_at) WHERE status = 'submitting'",
    "CREATE INDEX IF NOT EXISTS sms_message_account_created ON sms_message (account, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS sms_message_phone ON sms_message (phone)",
    "CREATE SEQUENCE IF NOT EXISTS sms_report_seq",
    "CREATE INDEX IF NOT EXISTS sms_message_report ON sms_message (account, report_seq) WHERE report_seq IS NOT NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS sms_channel_id_key ON sms_channel_id (channel, channel_msg_id)",
    "CREATE INDEX IF NOT EXISTS sms_channel_id_message ON sms_channel_id (message)",
    "CREATE INDEX IF NOT EXISTS sms_batch_account_created ON sms_batch (account, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS sms_contact_book_id ON sms_contact (book)",
    "CREATE INDEX IF NOT EXISTS sms_mo_account_id ON sms_mo (account, id)",
    "CREATE INDEX IF NOT EXISTS sms_webhook_delivery_due ON sms_webhook_delivery (next_at) WHERE status = 'pending'",
    "CREATE UNIQUE INDEX IF NOT EXISTS sms_blacklist_phone_account ON sms_blacklist (phone, COALESCE(account, 0))",
    "CREATE UNIQUE INDEX IF NOT EXISTS sms_account_member_key ON sms_account_member (account, \"user\")",
    "ALTER TABLE sms_account ADD CONSTRAINT sms_account_balance_nonneg CHECK (balance >= 0)",
    """CREATE OR REPLACE FUNCTION sms_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'sms_ledger is append-only'; END $$""",
    "CREATE TRIGGER sms_ledger_append_only BEFORE UPDATE OR DELETE ON sms_ledger "
    "FOR EACH ROW EXECUTE FUNCTION sms_ledger_append_only()",
]


forwards = sql_forwards(ID, "sms", DESCRIPTION, STATEMENTS)

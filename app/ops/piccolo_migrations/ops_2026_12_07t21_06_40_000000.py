"""Mass messaging: one recipient row per campaign, recipient and channel (a resumed send job adds and sends nobody
twice); statuses checked; one unsubscription per user or address and channel."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T21:06:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops campaign recipients unique, checks"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_campaign_recipient_once ON ops_campaign_recipient"
    " (campaign, channel, user_id, address) NULLS NOT DISTINCT",
    "CREATE INDEX IF NOT EXISTS ops_campaign_recipient_queue ON ops_campaign_recipient (campaign, id)"
    " WHERE status = 'queued'",
    "ALTER TABLE ops_campaign_recipient ADD CONSTRAINT ops_campaign_recipient_status CHECK (status IN"
    " ('queued', 'sent', 'failed', 'skipped_unsubscribed', 'skipped_no_address'))",
    "ALTER TABLE ops_campaign_recipient ADD CONSTRAINT ops_campaign_recipient_channel"
    " CHECK (channel IN ('inbox', 'email', 'sms', 'wechat'))",
    "ALTER TABLE ops_campaign ADD CONSTRAINT ops_campaign_status"
    " CHECK (status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled'))",
    "ALTER TABLE ops_campaign ADD CONSTRAINT ops_campaign_throttle CHECK (throttle > 0)",
    "CREATE INDEX IF NOT EXISTS ops_campaign_due ON ops_campaign (scheduled_at) WHERE status IN"
    " ('scheduled', 'sending')",
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_unsubscription_once ON ops_unsubscription (user_id, address, channel)"
    " NULLS NOT DISTINCT",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

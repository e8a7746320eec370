"""What the messenger's tables guarantee themselves: one membership per user and conversation, one message per
sender form key, known kinds and roles; the indexes history, unread counts and stream resumes read."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "im constraints and indexes"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS im_member_once ON im_member (conversation, "user")',
    'CREATE INDEX IF NOT EXISTS im_member_user_live ON im_member ("user", conversation) WHERE left_at IS NULL',
    "CREATE UNIQUE INDEX IF NOT EXISTS im_message_client_ref ON im_message (sender, client_ref)"
    " WHERE client_ref IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS im_message_history ON im_message (conversation, id)",
    "CREATE INDEX IF NOT EXISTS im_event_resume ON im_event (conversation, id)",
    "CREATE INDEX IF NOT EXISTS im_conversation_temporary ON im_conversation (last_at) WHERE temporary",
    "ALTER TABLE im_conversation ADD CONSTRAINT im_conversation_kind CHECK (kind IN ('direct', 'group'))",
    "ALTER TABLE im_member ADD CONSTRAINT im_member_role CHECK (role IN ('owner', 'admin', 'member'))",
    "ALTER TABLE im_message ADD CONSTRAINT im_message_kind CHECK"
    " (kind IN ('text', 'image', 'file', 'signoff', 'system'))",
    "ALTER TABLE im_event ADD CONSTRAINT im_event_kind CHECK (kind IN ('message', 'recall', 'edit'))",
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

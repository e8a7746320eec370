"""Indexes for images and files in chats (IM-02, IM-11): a conversation's files page, and the retention purge
looking for stored files by age."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T00:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "im file indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS im_message_files ON im_message (conversation, id) WHERE kind IN ('image', 'file')",
    "CREATE INDEX IF NOT EXISTS im_message_stored ON im_message (created_at, id) WHERE attachment ? 'key'",
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

"""History search (IM-10): without pg_trgm a "contains" search cannot seek, so the index makes the scan cheap —
per conversation of the user, newest first, the body tested inside the index (covering, only live searchable
messages), no heap visit for the messages that do not match."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T01:16:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "im history search index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS im_message_search ON im_message (conversation, id) INCLUDE (body)"
    " WHERE recalled_at IS NULL AND kind IN ('text', 'image', 'file')",
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

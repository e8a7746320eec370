"""The official channel (IM-06) is a conversation kind of its own."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T00:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "im official conversation kind"

STATEMENTS = [
    "ALTER TABLE im_conversation DROP CONSTRAINT IF EXISTS im_conversation_kind",
    "ALTER TABLE im_conversation ADD CONSTRAINT im_conversation_kind CHECK (kind IN ('direct', 'group', 'official'))",
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

"""Contacts (IM-08): one friend row per direction and pair, one pending request per direction, known statuses,
nobody befriends themselves; the inbox lookup."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T01:18:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "im contacts constraints"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS im_friend_pair ON im_friend ("user", friend)',
    'ALTER TABLE im_friend ADD CONSTRAINT im_friend_not_self CHECK ("user" <> friend)',
    "CREATE UNIQUE INDEX IF NOT EXISTS im_friend_request_pending ON im_friend_request (sender, receiver)"
    " WHERE status = 'pending'",
    "ALTER TABLE im_friend_request ADD CONSTRAINT im_friend_request_status"
    " CHECK (status IN ('pending', 'accepted', 'declined'))",
    "ALTER TABLE im_friend_request ADD CONSTRAINT im_friend_request_not_self CHECK (sender <> receiver)",
    "CREATE INDEX IF NOT EXISTS im_friend_request_inbox ON im_friend_request (receiver, status, id)",
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

"""Photo counts per owner (the classes' cohesion job counts every class's photos in one query)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T15:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content photo owner index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS cnt_photo_owner ON cnt_photo (owner_kind, owner_id, status) WHERE parent_kind = 'album'",
]


forwards = sql_forwards(ID, "content", DESCRIPTION, STATEMENTS)

"""Rollback restores the update stamps (REC-16): each change row keeps the updated_at/updated_by the
row had before the write (a deleted row: its created and updated stamps), so undoing the change puts
them back instead of leaving the rolled-back write's stamp. Older rows have none (stamps stay as they are)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records change log: stamps before the change"

STATEMENTS = [
    "ALTER TABLE rec_change ADD COLUMN IF NOT EXISTS old_stamp JSONB NULL",
]


forwards = sql_forwards(ID, "records", DESCRIPTION, STATEMENTS)

"""Every account and ledger row belongs to a user (Piccolo foreign keys are nullable by default)."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T12:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "points user not null"

STATEMENTS = [
    "ALTER TABLE pts_account ALTER COLUMN user_id SET NOT NULL",
    "ALTER TABLE pts_ledger ALTER COLUMN user_id SET NOT NULL",
]


forwards = sql_forwards(ID, "points", DESCRIPTION, STATEMENTS)

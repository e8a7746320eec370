"""One signature per receiver and sign-off message."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T00:26:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "im sign-off constraints"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS im_signoff_once ON im_signoff (message, "user")',
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

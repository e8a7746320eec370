"""Student numbers are looked up exactly (list search with digits, combined query "student number =");
without an index each lookup under OR reads every education record (160 ms at 600,000 records)."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records student number index"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS rec_education_student_no ON rec_education (student_no)",
]


forwards = sql_forwards(ID, "records", DESCRIPTION, STATEMENTS)

"""Birthday greetings sent (REC-14): one row per person and year, so the daily job greets each
person once a year however often it runs."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T12:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records birthday greetings log"

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS rec_birthday_sent (
        id BIGSERIAL PRIMARY KEY,
        person BIGINT NOT NULL REFERENCES rec_person (id) ON DELETE CASCADE,
        year SMALLINT NOT NULL,
        channels VARCHAR(16)[] NOT NULL DEFAULT '{}',
        deliveries INTEGER NOT NULL DEFAULT 0,
        sent_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    "CREATE UNIQUE INDEX IF NOT EXISTS rec_birthday_sent_uniq ON rec_birthday_sent (person, year)",
]


forwards = sql_forwards(ID, "records", DESCRIPTION, STATEMENTS)

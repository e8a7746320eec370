"""SMS statistics (SMS-07) read a daily rollup instead of grouping sms_message on every page view: one row
per day × account × channel, recomputed by the sms.stats.rollup job (app/sms/jobs.py). The single
sms_daily_stat_run row records the last refresh (shown on the page) and serialises concurrent runs."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-24T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sms daily statistics rollup"

STATEMENTS = [
    # channel 0 = not dispatched yet (sms_message.channel is NULL): a primary key column cannot be NULL.
    """CREATE TABLE IF NOT EXISTS sms_daily_stat (
        day date NOT NULL,
        account integer NOT NULL REFERENCES sms_account (id) ON DELETE CASCADE,
        channel integer NOT NULL DEFAULT 0,
        sent integer NOT NULL DEFAULT 0,
        success integer NOT NULL DEFAULT 0,
        failure integer NOT NULL DEFAULT 0,
        pending integer NOT NULL DEFAULT 0,
        billed bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (day, account, channel))""",
    "CREATE INDEX IF NOT EXISTS sms_daily_stat_account_day ON sms_daily_stat (account, day)",
    """CREATE TABLE IF NOT EXISTS sms_daily_stat_run (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        refreshed_at timestamptz,
        refreshed_from date)""",
    "INSERT INTO sms_daily_stat_run (id) VALUES (1) ON CONFLICT (id) DO NOTHING",
]


forwards = sql_forwards(ID, "sms", DESCRIPTION, STATEMENTS)

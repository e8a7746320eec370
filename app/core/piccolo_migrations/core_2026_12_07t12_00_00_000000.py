"""Indexes for login lockout counts per account and for pruning finished jobs (app.core.job_retention);
the shared rate-limit counters (app.core.ratelimit: unlogged, a lost count after a crash is harmless)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "login_log by lower(username); finished jobs by finished_at; rate_hit"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS login_log_username_at ON login_log (lower(username), at)",
    "CREATE UNLOGGED TABLE IF NOT EXISTS rate_hit (rule varchar(40) NOT NULL, key varchar(200) NOT NULL,"
    " slot bigint NOT NULL, hits integer NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (rule, key, slot))",
    "CREATE INDEX IF NOT EXISTS rate_hit_expires ON rate_hit (expires_at)",
    "CREATE INDEX IF NOT EXISTS job_finished ON job (finished_at) WHERE status IN ('done', 'failed', 'cancelled')",
]


forwards = sql_forwards(ID, "core", DESCRIPTION, STATEMENTS)

"""The vote tables guarantee themselves: one ballot per person and option, allowed status and result values."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T18:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops vote constraints"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_ballot_one ON ops_ballot (vote, \"user\", option)",
    "CREATE INDEX IF NOT EXISTS ops_ballot_ip ON ops_ballot (vote, ip, cast_at)",
    "ALTER TABLE ops_vote ADD CONSTRAINT ops_vote_status CHECK (status IN ('draft', 'pending', 'open', 'closed'))",
    "ALTER TABLE ops_vote ADD CONSTRAINT ops_vote_results CHECK (results IN ('live', 'after_close', 'hidden'))",
    "ALTER TABLE ops_vote ADD CONSTRAINT ops_vote_choices CHECK (max_choices BETWEEN 1 AND 50)",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

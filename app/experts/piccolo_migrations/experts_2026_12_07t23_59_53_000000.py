"""Indexes of the smart search (EXP-15): the btree columns its conditions filter and sort on, and the saved
searches listing. The keyword ("%x%" over several columns) has no index: pg_trgm is not in the embedded
PostgreSQL; bench/experts_bench.py measures it over 100,000 experts."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T23:59:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "experts smart search indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS exp_expert_employer ON exp_expert (employer)",
    "CREATE INDEX IF NOT EXISTS exp_expert_region ON exp_expert (region)",
    "CREATE INDEX IF NOT EXISTS exp_expert_industry ON exp_expert (industry)",
    "CREATE INDEX IF NOT EXISTS exp_expert_valid_until ON exp_expert (valid_until)",
    "CREATE INDEX IF NOT EXISTS exp_expert_created ON exp_expert (created_at)",
    "CREATE INDEX IF NOT EXISTS exp_invitation_reveal ON exp_invitation (expert, opens_at) WHERE status = 'accepted'",
    "CREATE INDEX IF NOT EXISTS exp_saved_search_shared ON exp_saved_search (shared) WHERE shared",
]


forwards = sql_forwards(ID, "experts", DESCRIPTION, STATEMENTS)

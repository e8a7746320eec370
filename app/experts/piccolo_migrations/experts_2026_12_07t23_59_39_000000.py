"""What the tag-group tables guarantee themselves (EXP-16): a tag name once per group, an expert tagged once
per tag; the experts of a tag are found by index."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T23:59:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "experts tag group constraints"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS exp_tag_group_name ON exp_tag (\"group\", lower(name))",
    "CREATE UNIQUE INDEX IF NOT EXISTS exp_expert_tag_pair ON exp_expert_tag (expert, tag)",
    "CREATE UNIQUE INDEX IF NOT EXISTS exp_tag_group_unique_name ON exp_tag_group (lower(name))",
]


forwards = sql_forwards(ID, "experts", DESCRIPTION, STATEMENTS)

"""Coupons guarantee themselves: an automatic issue happens once per type, person and source; allowed values."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T18:17:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops coupon constraints"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_coupon_source ON ops_coupon (type, \"user\", source_ref)"
    " WHERE source_ref <> ''",
    "ALTER TABLE ops_coupon ADD CONSTRAINT ops_coupon_status CHECK (status IN ('issued', 'redeemed', 'void'))",
    "ALTER TABLE ops_coupon_type ADD CONSTRAINT ops_coupon_type_issue CHECK (issue_on IN ('manual', 'signup',"
    " 'checkin'))",
    "CREATE INDEX IF NOT EXISTS ops_coupon_type_event ON ops_coupon_type (event, issue_on) WHERE event IS NOT NULL",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

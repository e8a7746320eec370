"""Seats are unique within an event; unpaid reservations are found by their deadline; tips are looked up per post."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T21:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops seats, unpaid deadline, tips"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_registration_seat ON ops_registration (event, seat)"
    " WHERE seat <> '' AND status IN ('pending', 'unpaid', 'confirmed')",
    "CREATE INDEX IF NOT EXISTS ops_registration_unpaid ON ops_registration (pay_by) WHERE status = 'unpaid'",
    "CREATE INDEX IF NOT EXISTS ops_tip_post ON ops_tip (event, post_id)",
    "ALTER TABLE ops_tip ADD CONSTRAINT ops_tip_points CHECK (points > 0)",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

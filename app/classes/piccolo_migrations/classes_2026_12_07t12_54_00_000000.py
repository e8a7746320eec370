"""What the classes tables guarantee themselves: one membership per class and user, one liaison row per class
and user, one pending request per class, user and kind, one pending application per applicant and class
name; allowed values of the status columns; one breakdown line per class and factor; the default cohesion
rules (CLS-07) as seed rows an admin then edits."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T12:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "classes constraints, indexes and default cohesion rules"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS classes_member_one ON classes_member (class_id, \"user\")",
    "CREATE INDEX IF NOT EXISTS classes_member_active ON classes_member (class_id) WHERE status = 'active'",
    "CREATE UNIQUE INDEX IF NOT EXISTS classes_liaison_one ON classes_liaison (class_id, \"user\")",
    "CREATE UNIQUE INDEX IF NOT EXISTS classes_request_one_pending ON classes_request (class_id, \"user\", kind)"
    " WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS classes_request_class ON classes_request (class_id, status, created_at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS classes_application_one_pending ON classes_application"
    " (\"user\", college, entry_year, class_name) WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS classes_class_college_year ON classes_class (college, entry_year)",
    "CREATE UNIQUE INDEX IF NOT EXISTS classes_cohesion_factor_one ON classes_cohesion_factor (class_id, factor)",
    "CREATE INDEX IF NOT EXISTS classes_cohesion_score_rank ON classes_cohesion_score (rank)",
    "ALTER TABLE classes_class ADD CONSTRAINT classes_class_source CHECK (source IN ('records', 'applied'))",
    "ALTER TABLE classes_class ADD CONSTRAINT classes_class_status CHECK (status IN ('active', 'stale'))",
    "ALTER TABLE classes_member ADD CONSTRAINT classes_member_status CHECK (status IN ('active', 'left'))",
    "ALTER TABLE classes_request ADD CONSTRAINT classes_request_kind CHECK (kind IN ('join', 'leave'))",
    "ALTER TABLE classes_request ADD CONSTRAINT classes_request_status CHECK"
    " (status IN ('pending', 'approved', 'rejected', 'withdrawn'))",
    "ALTER TABLE classes_application ADD CONSTRAINT classes_application_status CHECK"
    " (status IN ('pending', 'approved', 'rejected', 'withdrawn'))",
    "ALTER TABLE classes_cohesion_rule ADD CONSTRAINT classes_cohesion_rule_weight CHECK"
    " (weight BETWEEN 0 AND 1000 AND scale > 0)",
    "INSERT INTO classes_cohesion_rule (factor, weight, scale, enabled, sort) VALUES"
    " ('members', 30, 1, TRUE, 1), ('verified', 20, 1, TRUE, 2), ('posts', 20, 10, TRUE, 3),"
    " ('photos', 10, 20, TRUE, 4), ('events', 10, 3, TRUE, 5), ('active', 10, 1, TRUE, 6)"
    " ON CONFLICT (factor) DO NOTHING",
]


forwards = sql_forwards(ID, "classes", DESCRIPTION, STATEMENTS)

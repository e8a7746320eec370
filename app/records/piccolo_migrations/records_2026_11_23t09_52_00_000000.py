"""Indexes of the alumni data centre: scope, list filters, substring name search (GIN over name
terms), per-person sections, change log."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T09:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records indexes"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS rec_person_org ON rec_person (org, id) WHERE status = 'active'",
    "CREATE INDEX IF NOT EXISTS rec_person_name ON rec_person (name)",
    "CREATE INDEX IF NOT EXISTS rec_person_terms ON rec_person USING gin (name_terms)",
    "CREATE INDEX IF NOT EXISTS rec_person_phone ON rec_person (phone) WHERE phone IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_person_email ON rec_person (lower(email)) WHERE email IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_person_id_number ON rec_person (id_number) WHERE id_number IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_person_birthday_md ON rec_person"
    " ((EXTRACT(MONTH FROM birthday)), (EXTRACT(DAY FROM birthday))) WHERE status = 'active'",
    "CREATE INDEX IF NOT EXISTS rec_person_batch ON rec_person (batch) WHERE batch IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_person_user ON rec_person (\"user\") WHERE \"user\" IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_person_key ON rec_person (is_key) WHERE is_key",
    "CREATE INDEX IF NOT EXISTS rec_education_college_year ON rec_education (college, entry_year, person)",
    "CREATE INDEX IF NOT EXISTS rec_education_year ON rec_education (entry_year, person)",
    "CREATE INDEX IF NOT EXISTS rec_education_person ON rec_education (person)",
    "CREATE INDEX IF NOT EXISTS rec_education_class ON rec_education (class_node) WHERE class_node IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_work_person ON rec_work (person)",
    "CREATE INDEX IF NOT EXISTS rec_interaction_person ON rec_interaction (person, occurred_at)",
    "CREATE INDEX IF NOT EXISTS rec_contact_person ON rec_contact_log (person, contacted_at)",
    "CREATE INDEX IF NOT EXISTS rec_file_person ON rec_file (person)",
    "CREATE UNIQUE INDEX IF NOT EXISTS rec_person_tag_uniq ON rec_person_tag (tag, person)",
    "CREATE INDEX IF NOT EXISTS rec_person_tag_person ON rec_person_tag (person)",
    "CREATE INDEX IF NOT EXISTS rec_change_person ON rec_change (person, at)",
    "CREATE INDEX IF NOT EXISTS rec_change_batch ON rec_change (batch) WHERE batch IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS rec_change_at ON rec_change (at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS rec_rule_auto_field ON rec_rule (field) WHERE kind = 'auto_update'",
]


forwards = sql_forwards(ID, "records", DESCRIPTION, STATEMENTS)

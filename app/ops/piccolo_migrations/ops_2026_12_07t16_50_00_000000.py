"""What the ops tables guarantee themselves: a ticket type never holds more than its quota; one question key per
form; a replayed offline scan (client_ref) is stored once; allowed values of the status columns; the indexes the
event lists, the waiting list and the door use."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops constraints and indexes"

STATEMENTS = [
    "ALTER TABLE ops_ticket_type ADD CONSTRAINT ops_ticket_type_quota CHECK (taken >= 0 AND taken <= quota)",
    "ALTER TABLE ops_ticket_type ADD CONSTRAINT ops_ticket_type_kind CHECK (kind IN ('free', 'points', 'paid'))",
    "ALTER TABLE ops_event ADD CONSTRAINT ops_event_status CHECK"
    " (status IN ('draft', 'pending', 'published', 'closed', 'cancelled', 'rejected'))",
    "ALTER TABLE ops_event ADD CONSTRAINT ops_event_owner CHECK (owner_kind IN ('hq', 'org', 'class'))",
    "ALTER TABLE ops_registration ADD CONSTRAINT ops_registration_status CHECK"
    " (status IN ('pending', 'unpaid', 'confirmed', 'waitlisted', 'cancelled', 'rejected'))",
    "ALTER TABLE ops_checkin ADD CONSTRAINT ops_checkin_result CHECK"
    " (result IN ('ok', 'already', 'unknown', 'other_event', 'not_confirmed'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_form_field_key ON ops_form_field (form, key)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_checkin_client_ref ON ops_checkin (client_ref) WHERE client_ref IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS ops_checkin_event ON ops_checkin (event, id)",
    "CREATE INDEX IF NOT EXISTS ops_event_owner_start ON ops_event (owner_kind, owner_id, starts_at)",
    "CREATE INDEX IF NOT EXISTS ops_event_status_start ON ops_event (status, starts_at)",
    "CREATE INDEX IF NOT EXISTS ops_registration_event ON ops_registration (event, status)",
    "CREATE INDEX IF NOT EXISTS ops_registration_waiting ON ops_registration (ticket_type, id)"
    " WHERE status = 'waitlisted'",
    "CREATE INDEX IF NOT EXISTS ops_registration_user_ticket ON ops_registration (\"user\", ticket_type, status)",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

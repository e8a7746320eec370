"""What the orgs tables guarantee themselves: the allowed kinds, rules and statuses, one membership row per org
and user, one pending join request and one pending application per person, one current council term per org,
an attendee listed once; indexes for the lists the admin pages and the micro-site read."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T12:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orgs constraints and indexes"

STATEMENTS = [
    "ALTER TABLE orgs_org ADD CONSTRAINT orgs_org_kind CHECK (kind IN ('local', 'college', 'industry', 'interest'))",
    "ALTER TABLE orgs_org ADD CONSTRAINT orgs_org_status CHECK (status IN ('active', 'pending', 'disabled'))",
    "ALTER TABLE orgs_org ADD CONSTRAINT orgs_org_join_rule CHECK (join_rule IN ('open', 'approval', 'closed'))",
    "ALTER TABLE orgs_org ADD CONSTRAINT orgs_org_join_requirement CHECK (join_requirement IN ('any', 'verified'))",
    "ALTER TABLE orgs_org ADD CONSTRAINT orgs_org_slug CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$')",
    "CREATE INDEX IF NOT EXISTS orgs_org_parent ON orgs_org (parent, sort, id)",
    "ALTER TABLE orgs_application ADD CONSTRAINT orgs_application_status"
    " CHECK (status IN ('pending', 'approved', 'rejected'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS orgs_application_one_pending ON orgs_application (applicant, lower(name))"
    " WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS orgs_application_status ON orgs_application (status, created_at)",
    "ALTER TABLE orgs_member ADD CONSTRAINT orgs_member_role CHECK (role IN ('member', 'liaison', 'admin'))",
    "ALTER TABLE orgs_member ADD CONSTRAINT orgs_member_status CHECK (status IN ('active', 'left', 'removed'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS orgs_member_org_user ON orgs_member (org, \"user\")",
    "CREATE INDEX IF NOT EXISTS orgs_member_active ON orgs_member (org, joined_at) WHERE status = 'active'",
    "ALTER TABLE orgs_join_request ADD CONSTRAINT orgs_join_request_status"
    " CHECK (status IN ('pending', 'approved', 'refused', 'withdrawn'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS orgs_join_request_one_pending ON orgs_join_request (org, \"user\")"
    " WHERE status = 'pending'",
    "CREATE UNIQUE INDEX IF NOT EXISTS orgs_term_number ON orgs_term (org, number)",
    "CREATE UNIQUE INDEX IF NOT EXISTS orgs_term_one_current ON orgs_term (org) WHERE current",
    "CREATE UNIQUE INDEX IF NOT EXISTS orgs_meeting_attendee_once ON orgs_meeting_attendee (meeting, \"user\")",
    "CREATE INDEX IF NOT EXISTS orgs_meeting_org_date ON orgs_meeting (org, held_on DESC)",
]


forwards = sql_forwards(ID, "orgs", DESCRIPTION, STATEMENTS)

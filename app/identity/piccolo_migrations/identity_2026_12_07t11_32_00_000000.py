"""What the identity tables guarantee themselves: one binding per external subject and one per user and
provider, one live claim per user, a record linked to one verified claim; indexes for the code limits,
the review queue, statistics and the purge job."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T11:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "identity constraints and indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS idn_binding_subject ON idn_binding (provider, subject)",
    "CREATE UNIQUE INDEX IF NOT EXISTS idn_binding_user_provider ON idn_binding (provider, \"user\")",
    "CREATE INDEX IF NOT EXISTS idn_binding_unionid ON idn_binding (unionid) WHERE unionid <> ''",
    "CREATE INDEX IF NOT EXISTS idn_auth_state_created ON idn_auth_state (created_at)",
    "CREATE INDEX IF NOT EXISTS idn_sms_code_phone ON idn_sms_code (phone, purpose, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS idn_sms_code_ip ON idn_sms_code (ip, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS idn_realname_purge ON idn_realname (image_delete_after) WHERE image_key <> ''",
    "CREATE INDEX IF NOT EXISTS idn_realname_user_day ON idn_realname (\"user\", created_at DESC)",
    "ALTER TABLE idn_claim ADD CONSTRAINT idn_claim_kind CHECK (kind IN ('alumnus', 'student', 'staff', 'other'))",
    "ALTER TABLE idn_claim ADD CONSTRAINT idn_claim_status CHECK"
    " (status IN ('open', 'questions', 'pending', 'verified', 'rejected', 'withdrawn'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS idn_claim_one_live ON idn_claim (\"user\")"
    " WHERE status IN ('open', 'questions', 'pending')",
    "CREATE UNIQUE INDEX IF NOT EXISTS idn_claim_person_verified ON idn_claim (person) WHERE status = 'verified'",
    "CREATE INDEX IF NOT EXISTS idn_claim_status_college ON idn_claim (status, college, created_at)",
    "CREATE INDEX IF NOT EXISTS idn_claim_verified ON idn_claim (verified_at) WHERE status = 'verified'",
    "CREATE INDEX IF NOT EXISTS idn_client_token_expiry ON idn_client_token (expires_at)",
]


forwards = sql_forwards(ID, "identity", DESCRIPTION, STATEMENTS)

"""Sessions are signed cookies (app.core.sessions): a per-user version revokes every cookie issued before
(password change, lockout, log out everywhere)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "app_user.session_version; old opaque session tokens retired"

STATEMENTS = [
    "ALTER TABLE app_user ADD COLUMN IF NOT EXISTS session_version integer NOT NULL DEFAULT 0",
    'CREATE INDEX IF NOT EXISTS web_session_user_expires ON web_session ("user", expires_at)',
    "DELETE FROM web_session",  # cookies of the old format cannot be verified any more
]


forwards = sql_forwards(ID, "core", DESCRIPTION, STATEMENTS)

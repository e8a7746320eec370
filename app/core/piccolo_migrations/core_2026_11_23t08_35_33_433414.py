"""Indexes and constraints Piccolo's column options cannot express."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T08:35:33:433414"
VERSION = "1.38.0"
DESCRIPTION = "core indexes: composite uniques, partial indexes, path prefix scans"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS user_role_uniq ON user_role (\"user\", role)",
    "CREATE UNIQUE INDEX IF NOT EXISTS dict_item_type_code_uniq ON dict_item (type_code, code)",
    "CREATE INDEX IF NOT EXISTS dict_item_parent ON dict_item (type_code, parent_code, sort)",
    "CREATE UNIQUE INDEX IF NOT EXISTS message_template_uniq ON message_template (code, channel)",
    "CREATE INDEX IF NOT EXISTS org_node_path_prefix ON org_node (path varchar_pattern_ops)",
    "CREATE UNIQUE INDEX IF NOT EXISTS todo_open_ref ON todo (ref) WHERE status = 'open'",
    "CREATE INDEX IF NOT EXISTS todo_open_perm ON todo (permission) WHERE status = 'open'",
    "CREATE INDEX IF NOT EXISTS job_ready ON job (run_at) WHERE status = 'queued'",
    "CREATE INDEX IF NOT EXISTS job_running ON job (locked_until) WHERE status = 'running'",
    "CREATE INDEX IF NOT EXISTS inbox_unread ON inbox_message (\"user\") WHERE read_at IS NULL",
    "CREATE INDEX IF NOT EXISTS audit_entity ON audit_log (entity, entity_id)",
    "CREATE INDEX IF NOT EXISTS login_log_ip_at ON login_log (ip, at)",
    "CREATE INDEX IF NOT EXISTS import_row_batch_no ON import_row (batch, row_no)",
    "CREATE INDEX IF NOT EXISTS app_user_org ON app_user (org)",
    "CREATE INDEX IF NOT EXISTS app_user_name ON app_user (name)",
]


forwards = sql_forwards(ID, "core", DESCRIPTION, STATEMENTS)

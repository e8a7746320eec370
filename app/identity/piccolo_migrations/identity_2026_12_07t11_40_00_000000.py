"""Login redirect states remember the scope they asked for: a WeChat snsapi_base round trip for an
unknown openid is followed by a second one with snsapi_userinfo (app.identity.wechat)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T11:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "identity login state scope"

STATEMENTS = [
    "ALTER TABLE idn_auth_state ADD COLUMN IF NOT EXISTS scope varchar(32) NOT NULL DEFAULT ''",
]


forwards = sql_forwards(ID, "identity", DESCRIPTION, STATEMENTS)

"""Service accounts (IM-07): one subscription per user and account, known statuses, the history lookup
(pushed articles of an account, newest first). No foreign key into cnt_article (content's migrations may run
after these): pages join cnt_article."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T01:15:37:000000"
VERSION = "1.38.0"
DESCRIPTION = "im service account constraints"

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS im_subscription_once ON im_subscription (account, "user")',
    "ALTER TABLE im_account ADD CONSTRAINT im_account_status CHECK (status IN ('active', 'off'))",
    "CREATE INDEX IF NOT EXISTS im_account_article_pushed ON im_account_article (account, pushed_at DESC)"
    " WHERE pushed_at IS NOT NULL",
]


forwards = sql_forwards(ID, "im", DESCRIPTION, STATEMENTS)

"""What the content tables guarantee themselves: known statuses, one setting per owner and item kind, one
pending submission per article and target; the indexes of the owners' lists, the moderation queue and the
comment threads; and the data-dictionary type of the sensitive-word list (its words are the deployment's own)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T13:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content constraints, indexes and the sensitive_word dictionary type"

MODERATED = ("cnt_post", "cnt_album", "cnt_photo", "cnt_comment")
STATEMENTS = [
    "ALTER TABLE cnt_article ADD CONSTRAINT cnt_article_status CHECK"
    " (status IN ('draft', 'pending', 'published', 'rejected'))",
    *(f"ALTER TABLE {t} ADD CONSTRAINT {t}_status CHECK (status IN ('pending', 'published', 'rejected', 'deleted'))"
      for t in MODERATED),
    "ALTER TABLE cnt_submission ADD CONSTRAINT cnt_submission_status CHECK"
    " (status IN ('pending', 'accepted', 'declined'))",
    "ALTER TABLE cnt_photo ADD CONSTRAINT cnt_photo_parent CHECK (parent_kind IN ('album', 'post', 'article'))",
    "ALTER TABLE cnt_comment ADD CONSTRAINT cnt_comment_target CHECK (target_kind IN ('article', 'post', 'photo'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS cnt_setting_one ON cnt_setting (owner_kind, owner_id, item_kind)",
    "CREATE UNIQUE INDEX IF NOT EXISTS cnt_submission_one_pending ON cnt_submission (article, target_kind, target_id)"
    " WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS cnt_submission_target ON cnt_submission (target_kind, target_id, status, created_at)",
    "CREATE INDEX IF NOT EXISTS cnt_article_owner ON cnt_article"
    " (owner_kind, owner_id, status, pin DESC, published_at DESC)",
    "CREATE INDEX IF NOT EXISTS cnt_post_owner ON cnt_post (owner_kind, owner_id, kind, status, created_at DESC)"
    " WHERE parent IS NULL",
    "CREATE INDEX IF NOT EXISTS cnt_post_parent ON cnt_post (parent, created_at) WHERE parent IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS cnt_album_owner ON cnt_album (owner_kind, owner_id, status, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS cnt_photo_parent_idx ON cnt_photo (parent_kind, parent_id, status, sort, id)",
    "CREATE INDEX IF NOT EXISTS cnt_comment_target_idx ON cnt_comment (target_kind, target_id, status, created_at)",
    *(f"CREATE INDEX IF NOT EXISTS {t}_queue ON {t} (owner_kind, owner_id, created_at) WHERE status = 'pending'"
      for t in ("cnt_article", *MODERATED)),
    "INSERT INTO dict_type (code, name, description, hierarchical, builtin) VALUES ('sensitive_word', '敏感词',"
    " '发布内容合规校验用的敏感词（每条一词；命中时送审或拒绝，见 content.sensitive_action）', FALSE, FALSE)"
    " ON CONFLICT (code) DO NOTHING",
]


forwards = sql_forwards(ID, "content", DESCRIPTION, STATEMENTS)

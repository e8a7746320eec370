"""Pasted images copied into storage belong to the article body (parent_kind 'article_body', not its cover)."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-08T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "content article body images"

STATEMENTS = [
    "ALTER TABLE cnt_photo DROP CONSTRAINT IF EXISTS cnt_photo_parent",
    "ALTER TABLE cnt_photo ADD CONSTRAINT cnt_photo_parent"
    " CHECK (parent_kind IN ('album', 'post', 'article', 'article_body'))",
]


forwards = sql_forwards(ID, "content", DESCRIPTION, STATEMENTS)

"""Micro-pages: a page is a draft or published; blocks are of the five kinds and read in (page, sort) order."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T21:05:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops micro-page checks"

STATEMENTS = [
    "ALTER TABLE ops_page ADD CONSTRAINT ops_page_status CHECK (status IN ('draft', 'published'))",
    "ALTER TABLE ops_page_block ADD CONSTRAINT ops_page_block_kind"
    " CHECK (kind IN ('text', 'image', 'video', 'button', 'form'))",
    "CREATE INDEX IF NOT EXISTS ops_page_block_order ON ops_page_block (page, sort, id)",
    "CREATE INDEX IF NOT EXISTS ops_page_home ON ops_page (home_sort, id) WHERE on_home AND status = 'published'",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

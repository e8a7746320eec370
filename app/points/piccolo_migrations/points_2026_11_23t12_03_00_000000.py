"""Guarantees of the points ledger the database enforces itself: a balance never below zero, a
request key used once, a spend refunded at most once; indexes for the ledger filters and daily caps."""
from app.core.raw_migration import sql_forwards

ID = "2026-11-23T12:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "points constraints and indexes"

STATEMENTS = [
    "ALTER TABLE pts_account ADD CONSTRAINT pts_account_balance_nonneg CHECK (balance >= 0)",
    "ALTER TABLE pts_ledger ADD CONSTRAINT pts_ledger_delta_nonzero CHECK (delta <> 0)",
    "ALTER TABLE pts_ledger ADD CONSTRAINT pts_ledger_balance_nonneg CHECK (balance_after >= 0)",
    "CREATE UNIQUE INDEX IF NOT EXISTS pts_ledger_key ON pts_ledger (key)",
    "CREATE UNIQUE INDEX IF NOT EXISTS pts_ledger_refund_once ON pts_ledger (refund_of) WHERE refund_of IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS pts_ledger_user ON pts_ledger (user_id, id)",
    "CREATE INDEX IF NOT EXISTS pts_ledger_created ON pts_ledger (created_at, id)",
    "CREATE INDEX IF NOT EXISTS pts_ledger_action ON pts_ledger (action, user_id, created_at) WHERE action <> ''",
    "CREATE INDEX IF NOT EXISTS pts_ledger_kind ON pts_ledger (kind, created_at)",
]


forwards = sql_forwards(ID, "points", DESCRIPTION, STATEMENTS)

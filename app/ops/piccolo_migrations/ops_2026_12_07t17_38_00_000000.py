"""The lottery tables guarantee themselves: a prize never given beyond its stock, one draw per number per lottery,
chances between 0 and 100 %, allowed status values."""
from app.core.raw_migration import sql_forwards

ID = "2026-12-07T17:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ops lottery constraints"

STATEMENTS = [
    "ALTER TABLE ops_lottery_prize ADD CONSTRAINT ops_lottery_prize_stock CHECK (given >= 0 AND given <= stock)",
    "ALTER TABLE ops_lottery_prize ADD CONSTRAINT ops_lottery_prize_chance CHECK (chance BETWEEN 0 AND 10000)",
    "ALTER TABLE ops_lottery ADD CONSTRAINT ops_lottery_status CHECK (status IN ('draft', 'open', 'closed'))",
    "CREATE UNIQUE INDEX IF NOT EXISTS ops_lottery_draw_number ON ops_lottery_draw (lottery, number)",
    "CREATE INDEX IF NOT EXISTS ops_lottery_draw_user ON ops_lottery_draw (lottery, \"user\", drawn_at)",
]


forwards = sql_forwards(ID, "ops", DESCRIPTION, STATEMENTS)

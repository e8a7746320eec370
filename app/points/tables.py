"""Piccolo tables of the points module: one account row per user (the lockable balance), the
append-only ledger that the balance must always equal, earning rules (MALL-01) and levels (MALL-03).
Constraints Piccolo cannot express (balance >= 0, unique request keys, refund-once) live in the
plain-SQL migration next to the generated one."""
from piccolo.columns import BigInt, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, Stamped


class PtsAccount(Table, tablename="pts_account"):
    """Current balance of one user; the row is locked (FOR UPDATE) for every change so concurrent
    spends serialise. `earned_total` only grows with earn/grant: it decides the level."""
    user_id = ForeignKey(AppUser, on_delete=OnDelete.cascade, unique=True)
    balance = BigInt(default=0)
    earned_total = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PtsLedger(Table, tablename="pts_ledger"):
    """One balance change, never updated or deleted. `key` is the caller's idempotency key."""
    user_id = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    delta = BigInt()
    balance_after = BigInt()
    kind = Varchar(length=16)  # earn / spend / refund / grant / deduct / expire
    action = Varchar(length=64, default="")  # rule action code for earn (daily caps count these)
    key = Varchar(length=200)
    ref = Varchar(length=200, default="")  # business reference, e.g. an order number
    reason = Varchar(length=500, default="")
    refund_of = Varchar(length=200, null=True, default=None)  # the spend key a refund gives back
    actor_id = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PtsRule(Stamped, Table, tablename="pts_rule"):
    """积分规则/任务: an action code other modules award by name, with daily and lifetime caps."""
    action = Varchar(length=64, unique=True)
    name = Varchar(length=100)
    description = Text(default="")
    points = Integer(default=0)
    daily_count = Integer(null=True, default=None)  # times per Asia/Shanghai day
    daily_points = Integer(null=True, default=None)  # points per day
    lifetime_count = Integer(null=True, default=None)  # e.g. 1 for "complete your profile"
    valid_from = Date(null=True, default=None)
    valid_to = Date(null=True, default=None)
    enabled = Boolean(default=True)
    link = Varchar(length=300, default="")  # where the alumnus does the task (H5 "how to earn")
    sort = Integer(default=0)


class PtsLevel(Stamped, Table, tablename="pts_level"):
    """会员等级: reached when the accumulated (earned) points pass min_points."""
    name = Varchar(length=50)
    min_points = BigInt(default=0, unique=True)
    icon = Varchar(length=200, default="")  # built-in icon name, or an upload storage key
    sort = Integer(default=0)

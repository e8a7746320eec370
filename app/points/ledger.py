"""Points ledger for admins (MALL-02): every earn/spend/refund/grant/deduct/expire row with filters (user,
kind, action, date range), paging and export; one user's balance, level and consistency check.
Rows are limited in SQL to users inside the viewer's data scope (the user's org node)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.core import db, sqlfilter
from app.core.audit import Actor
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.points import api, levels

KIND_LABELS = {"earn": L("Earned"), "spend": L("Spent"), "refund": L("Refunded"), "grant": L("Granted"),
               "deduct": L("Deducted"), "expire": L("Expired")}
SORTS = {"created": "l.created_at", "delta": "l.delta", "user": "u.username"}


class NotFound(Exception):
    """No such user in the viewer's scope."""


@dataclass(frozen=True)
class LedgerFilters:
    q: str = ""
    user: int | None = None
    kind: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> LedgerFilters:
        dates, errors = sqlfilter.dates(params, "from", "to")
        return cls(q=sqlfilter.text(params, "q"), user=sqlfilter.number(params, "user"),
                   kind=sqlfilter.choice(params, "kind", KIND_LABELS), action=sqlfilter.text(params, "action", 64),
                   date_from=dates["from"], date_to=dates["to"], errors=tuple(errors.items()))


def _where(actor: Actor, f: LedgerFilters, args: list) -> str:
    where = sqlfilter.Where(args, actor.scope.sql("u.org", "u.id", args))
    where.equals("l.user_id", f.user).equals("l.kind", f.kind).equals("l.action", f.action)
    where.contains(("u.username", "u.name", "u.phone"), f.q)
    where.date_range("l.created_at", f.date_from, f.date_to)
    return where.sql()


async def list_entries(actor: Actor, f: LedgerFilters, req: PageRequest) -> Page:
    args: list = []
    where = _where(actor, f, args)
    total = await db.fetchval(f"SELECT count(*) FROM pts_ledger l JOIN app_user u ON u.id = l.user_id WHERE {where}",
                              *args)
    order = req.order_by(SORTS, "l.id DESC").replace(", id", ", l.id")
    rows = await db.fetch(
        f"SELECT l.*, u.username, u.name AS user_name, a.name AS actor_name FROM pts_ledger l"
        f" JOIN app_user u ON u.id = l.user_id LEFT JOIN app_user a ON a.id = l.actor_id"
        f" WHERE {where} {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def actions() -> list[tuple[str, str]]:
    """Action codes for the filter: the rules' codes plus any that appear in the ledger."""
    rows = await db.fetch("SELECT action, name FROM pts_rule UNION SELECT DISTINCT action, action FROM pts_ledger"
                          " WHERE action <> '' AND action NOT IN (SELECT action FROM pts_rule) ORDER BY 1")
    return [(r["action"], r["name"]) for r in rows]


async def user_summary(actor: Actor, user_id: int) -> dict:
    """One user (in scope) with balance, accumulated points, level and whether the ledger adds up."""
    args: list = [user_id]
    row = await db.fetchrow(
        f"SELECT u.id, u.username, u.name, u.phone, o.name AS org_name, coalesce(a.balance, 0) AS balance,"
        f" coalesce(a.earned_total, 0) AS earned_total FROM app_user u LEFT JOIN org_node o ON o.id = u.org"
        f" LEFT JOIN pts_account a ON a.user_id = u.id WHERE u.id = $1 AND {actor.scope.sql('u.org', 'u.id', args)}",
        *args)
    if row is None:
        raise NotFound(user_id)
    return {**row, "level": await levels.level_of(row["earned_total"]),
            "consistent": not await api.ledger_consistent(user_id),
            "ledger_sum": await db.fetchval("SELECT coalesce(sum(delta), 0)::bigint FROM pts_ledger"
                                            " WHERE user_id = $1", user_id)}


async def find_users(actor: Actor, q: str, limit: int = 20) -> list[dict]:
    """Users in scope matching a username, name or phone: the ledger's "find a member" box."""
    if not q:
        return []
    args: list = []
    where = sqlfilter.Where(args, actor.scope.sql("u.org", "u.id", args))
    where.contains(("u.username", "u.name", "u.phone"), q)
    return await db.fetch(f"SELECT u.id, u.username, u.name, coalesce(a.balance, 0) AS balance FROM app_user u"
                          f" LEFT JOIN pts_account a ON a.user_id = u.id WHERE {where.sql()}"
                          f" ORDER BY u.username LIMIT {int(limit)}", *args)


EXPORT_COLUMNS = [("created_at", L("Time")), ("username", L("Username")), ("user_name", L("Name")),
                  ("kind_label", L("Type")), ("action", L("Action")), ("delta", L("Points")),
                  ("balance_after", L("Balance after")), ("reason", L("Reason")), ("ref", L("Reference")),
                  ("actor_name", L("By"))]


def export_row(row: dict) -> dict:
    return {**row, "kind_label": str(KIND_LABELS.get(row["kind"], row["kind"]))}


async def my_points(actor: Actor, req: PageRequest) -> dict:
    """The alumnus's own points (H5): balance, level and progress, their ledger page, the tasks to earn by."""
    from app.points import rules

    earned = await api.earned_total(actor.id)
    return {"balance": await api.balance(actor.id), "earned_total": earned, "level": await levels.level_of(earned),
            "page": await list_entries(actor, LedgerFilters(user=actor.id), req), "tasks": await rules.tasks()}

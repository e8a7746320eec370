"""Bulk grant/deduct from a spreadsheet (MALL-04) through the core import engine (/admin/imports/points):
one row per user — username, points (positive grants, negative deducts), reason. Rows are checked a
chunk at a time (user in scope, enough balance for a deduct) before anything is written; each row is
one ledger movement, and rolling the batch back writes the opposite movement."""
from __future__ import annotations

import secrets

from app.core import db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.import_files import as_int, as_text
from app.core.imports import ImportColumn, ImportContext, ImportSpec, register
from app.points import api

MAX_POINTS = 10_000_000


def _points(raw, ctx=None) -> int:
    value = as_int(raw, ctx)
    if value == 0 or abs(value) > MAX_POINTS:
        raise Invalid("", _("Enter a non-zero whole number of points (negative to deduct), at most %(n)s.",
                            n=MAX_POINTS))
    return value


COLUMNS = [
    ImportColumn("username", L("Username"), required=True, parse=as_text(max_length=64), example="zhangsan2008",
                 aliases=("login", "账号", "用户名")),
    ImportColumn("points", L("Points"), required=True, parse=_points, example="100",
                 help=L("Positive to grant, negative to deduct."), aliases=("积分", "分值")),
    ImportColumn("reason", L("Reason"), required=True, parse=as_text(max_length=500), example="校友志愿服务奖励",
                 aliases=("原因", "说明", "事由")),
]


async def _prepare(chunk: list[dict], ctx: ImportContext) -> None:
    names = sorted({v["username"].lower() for v in chunk if v.get("username")})
    args: list = [names]
    rows = await db.fetch(
        f"SELECT u.id, lower(u.username) AS key, coalesce(a.balance, 0) AS balance FROM app_user u"
        f" LEFT JOIN pts_account a ON a.user_id = u.id WHERE lower(u.username) = ANY($1::text[])"
        f" AND {ctx.actor.scope.sql('u.org', 'u.id', args)}", *args)
    ctx.cache["users"] = {r["key"]: dict(r) for r in rows}


async def _validate_row(values: dict, ctx: ImportContext) -> dict:
    user = ctx.cache["users"].get((values.get("username") or "").lower())
    if user is None:
        return {"username": _("Unknown user %(value)s (or outside your data scope).", value=values.get("username"))}
    values["user_id"] = user["id"]
    if values.get("points", 0) < 0 and user["balance"] < -values["points"]:
        return {"points": _("The balance of %(user)s is only %(balance)s.", user=values["username"],
                            balance=user["balance"])}
    return {}


async def _create(actor: Actor, values: dict) -> str:
    change = api.grant if values["points"] > 0 else api.deduct
    # The engine marks the row imported in this same transaction, so a fresh key never doubles a row.
    try:
        entry = await change(values["user_id"], abs(values["points"]), key=f"import:{secrets.token_urlsafe(12)}",
                             reason=values["reason"], actor=actor)
    except api.InsufficientPoints as exc:
        raise Invalid("points", str(exc)) from None
    return str(entry.id)


async def _undo(actor: Actor, entity_id: str) -> None:
    try:
        await api.reverse(int(entity_id), key=f"import-undo:{entity_id}", reason=_("Import rolled back"),
                              actor=actor)
    except api.InsufficientPoints as exc:
        raise Invalid("", str(exc)) from None


POINTS_IMPORT = register(ImportSpec(
    kind="points", title=L("Import points grants and deductions"), permission="pts.grant", columns=COLUMNS,
    create=_create, rollback=_undo, validate_row=_validate_row, prepare=_prepare,
    instructions=(L("One row per movement: positive points are granted, negative points deducted."),
                  L("A deduct larger than the user's balance is refused for that row.")),
))

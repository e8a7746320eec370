"""Points rules and tasks (MALL-01): an action code other modules award by name (`api.award`), the
points it gives, daily caps (times and/or points per Asia/Shanghai day), a lifetime cap (one-off tasks
such as completing the profile), validity dates and an on/off switch. Enabled rules double as the
alumni's "how to earn" task list on the H5 points page."""
from __future__ import annotations

import re
from typing import Any

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest

ACTION_RE = re.compile(r"^[a-z][a-z0-9_.]{1,63}$")
COLUMNS = ("action", "name", "description", "points", "daily_count", "daily_points", "lifetime_count",
           "valid_from", "valid_to", "enabled", "link", "sort")


class NotFound(Exception):
    """No such rule."""


def rule_form(data: dict | None = None, creating: bool = True) -> Form:
    fields = [
        Field("name", L("Task name"), required=True, max_length=100, help=L("Shown to alumni, e.g. “Sign in daily”.")),
        Field("points", L("Points per action"), "int", required=True, min_value=1, max_value=1_000_000),
        Field("daily_count", L("Times per day (cap)"), "int", min_value=1, max_value=10_000,
              help=L("Empty: no limit. Days run midnight to midnight, Beijing time.")),
        Field("daily_points", L("Points per day (cap)"), "int", min_value=1, max_value=1_000_000,
              help=L("Empty: no limit. The last award of a day is cut to what is left.")),
        Field("lifetime_count", L("Times in total (cap)"), "int", min_value=1, max_value=10_000,
              help=L("1 for one-off tasks such as completing the profile. Empty: no limit.")),
        Field("valid_from", L("Valid from"), "date"),
        Field("valid_to", L("Valid until"), "date"),
        Field("enabled", L("Enabled"), "checkbox"),
        Field("description", L("How to do it"), "textarea", max_length=500),
        Field("link", L("Link for alumni"), max_length=300, placeholder="/h5/…",
              help=L("A page on this site where the task is done (optional).")),
        Field("sort", L("Order"), "int", min_value=0, max_value=9999),
    ]
    if creating:
        fields.insert(0, Field("action", L("Action code"), required=True, max_length=64, placeholder="event_signup",
                               help=L("Lower-case letters, digits, _ and . — the name other modules award points by.")))
    return Form(fields, data or {})


def _check(cleaned: dict[str, Any]) -> dict[str, Any]:
    if "action" in cleaned and not ACTION_RE.match(cleaned["action"] or ""):
        raise Invalid("action", _("Use lower-case letters, digits, _ and . (starting with a letter)."))
    if cleaned.get("valid_from") and cleaned.get("valid_to") and cleaned["valid_to"] < cleaned["valid_from"]:
        raise Invalid("valid_to", _("The end date is before the start date."))
    link = cleaned.get("link") or ""
    if link and not (link.startswith("/") and not link.startswith("//")):
        raise Invalid("link", _("Use a path on this site starting with /."))
    return {**cleaned, "link": link, "description": cleaned.get("description") or "", "sort": cleaned.get("sort") or 0}


async def list_rules(q: str = "", req: PageRequest | None = None) -> Page:
    req = req or PageRequest(per_page=100)
    args: list = []
    where = "TRUE"
    if q:
        args.append(f"%{q}%")
        where = "(action ILIKE $1 OR name ILIKE $1)"
    total = await db.fetchval(f"SELECT count(*) FROM pts_rule WHERE {where}", *args)
    order = req.order_by({"action": "action", "name": "name", "points": "points"}, "sort, id")
    rows = await db.fetch(
        f"SELECT r.*, (SELECT count(*) FROM pts_ledger l WHERE l.action = r.action AND l.kind = 'earn') AS awarded"
        f" FROM pts_rule r WHERE {where} {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def tasks() -> list[dict]:
    """Enabled rules valid today: the alumni's task list."""
    return await db.fetch(
        "SELECT * FROM pts_rule WHERE enabled AND points > 0"
        " AND (valid_from IS NULL OR valid_from <= (now() AT TIME ZONE 'Asia/Shanghai')::date)"
        " AND (valid_to IS NULL OR valid_to >= (now() AT TIME ZONE 'Asia/Shanghai')::date) ORDER BY sort, id")


async def get_rule(rule_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM pts_rule WHERE id = $1", rule_id)
    if row is None:
        raise NotFound(rule_id)
    return row


async def create_rule(actor: Actor, cleaned: dict[str, Any]) -> int:
    values = _check(cleaned)
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM pts_rule WHERE action = $1", values["action"]):
            raise Invalid("action", _("A rule for this action code already exists."))
        params = ", ".join(f"${i + 1}" for i in range(len(COLUMNS)))
        rule_id = await db.fetchval(
            f"INSERT INTO pts_rule ({', '.join(COLUMNS)}, created_by, updated_by) VALUES ({params},"
            f" ${len(COLUMNS) + 1}, ${len(COLUMNS) + 1}) RETURNING id", *(values.get(c) for c in COLUMNS), actor.id)
        await audit.record(actor, "points.rule.create", "pts_rule", rule_id, after=values,
                           summary=f"{values['action']} +{values['points']}")
    return rule_id


async def update_rule(actor: Actor, rule_id: int, cleaned: dict[str, Any]) -> None:
    values = _check({k: v for k, v in cleaned.items() if k != "action"})
    cols = [c for c in COLUMNS if c != "action"]
    async with db.transaction():
        before = await db.fetchrow("SELECT * FROM pts_rule WHERE id = $1 FOR UPDATE", rule_id)
        if before is None:
            raise NotFound(rule_id)
        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
        await db.execute(f"UPDATE pts_rule SET {sets}, updated_at = now(), updated_by = ${len(cols) + 2}"
                         " WHERE id = $1", rule_id, *(values.get(c) for c in cols), actor.id)
        await audit.record(actor, "points.rule.update", "pts_rule", rule_id,
                           before={c: before[c] for c in cols}, after=values, summary=before["action"])


async def set_enabled(actor: Actor, rule_id: int, enabled: bool) -> None:
    async with db.transaction():
        action = await db.fetchval("UPDATE pts_rule SET enabled = $2, updated_at = now(), updated_by = $3"
                                   " WHERE id = $1 RETURNING action", rule_id, enabled, actor.id)
        if action is None:
            raise NotFound(rule_id)
        await audit.record(actor, "points.rule.enable" if enabled else "points.rule.disable", "pts_rule", rule_id,
                           summary=action)


async def delete_rule(actor: Actor, rule_id: int) -> None:
    """Ledger rows keep the action code, so past awards stay explained after the rule is gone."""
    async with db.transaction():
        before = await db.fetchrow("DELETE FROM pts_rule WHERE id = $1 RETURNING *", rule_id)
        if before is None:
            raise NotFound(rule_id)
        await audit.record(actor, "points.rule.delete", "pts_rule", rule_id, before=before, summary=before["action"])

"""The expert's availability for draws: long leave periods that end by themselves (EXP-05) and the units
they must avoid (EXP-06, current and past employers). `api.eligible` applies both."""
from __future__ import annotations

from datetime import date

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _

KINDS = ("current", "past")


def _date(value, field: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise Invalid(field, _("Enter a date as YYYY-MM-DD.")) from None


async def add_leave(actor: Actor, expert_id: int, data: dict) -> int:
    starts, ends = _date(data.get("starts_on"), "starts_on"), _date(data.get("ends_on"), "ends_on")
    if ends < starts:
        raise Invalid("ends_on", _("The end date is before the start date."))
    if ends < date.today():
        raise Invalid("ends_on", _("The leave would already be over."))
    reason = str(data.get("reason") or "").strip()[:200]
    async with db.transaction():
        leave_id = await db.fetchval("INSERT INTO exp_leave (expert, starts_on, ends_on, reason) VALUES ($1,$2,$3,$4)"
                                     " RETURNING id", expert_id, starts, ends, reason)
        await audit.record(actor, "leave", "exp_expert", expert_id, summary=reason,
                           after={"starts_on": starts, "ends_on": ends})
    return leave_id


async def cancel_leave(actor: Actor, expert_id: int, leave_id: int) -> None:
    async with db.transaction():
        if (await db.execute("DELETE FROM exp_leave WHERE id = $1 AND expert = $2", leave_id, expert_id)) \
                .endswith(" 1"):
            await audit.record(actor, "cancel_leave", "exp_expert", expert_id, after={"leave": leave_id})


async def leaves(expert_id: int) -> list[dict]:
    """Current and coming leave periods (ended ones drop out by themselves)."""
    return await db.fetch("SELECT id, starts_on, ends_on, reason FROM exp_leave WHERE expert = $1"
                          " AND ends_on >= current_date ORDER BY starts_on", expert_id)


async def add_unit(actor: Actor, expert_id: int, data: dict) -> None:
    unit = str(data.get("unit") or "").strip()
    if not unit:
        raise Invalid("unit", _("This field is required."))
    kind = data.get("kind") if data.get("kind") in KINDS else "current"
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM exp_avoid_unit WHERE expert = $1 AND unit = $2", expert_id, unit[:200]):
            raise Invalid("unit", _("This unit is already on your list."))
        await db.execute("INSERT INTO exp_avoid_unit (expert, unit, kind) VALUES ($1,$2,$3)", expert_id, unit[:200],
                         kind)
        await audit.record(actor, "avoid_unit", "exp_expert", expert_id, summary=unit[:200], after={"kind": kind})


async def remove_unit(actor: Actor, expert_id: int, unit_id: int) -> None:
    async with db.transaction():
        if (await db.execute("DELETE FROM exp_avoid_unit WHERE id = $1 AND expert = $2", unit_id, expert_id)) \
                .endswith(" 1"):
            await audit.record(actor, "remove_avoid_unit", "exp_expert", expert_id, after={"unit": unit_id})


async def units(expert_id: int) -> list[dict]:
    return await db.fetch("SELECT id, unit, kind FROM exp_avoid_unit WHERE expert = $1 ORDER BY kind, unit",
                          expert_id)

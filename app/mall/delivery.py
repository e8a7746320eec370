"""Delivery configuration (MALL-08): shipping fees by GB/T 2260 region prefix and self-pickup points.
A district code such as 110108 matches the rules '110108', '1101', '11' and '' (the default); the
longest enabled prefix wins. Checkout (app/mall/checkout.py) calls `shipping_fee` and `pickup_points`."""
from __future__ import annotations

from typing import Any

from app.core import audit, db, money
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _


class NotFound(Exception):
    """No such shipping rule or pickup point."""


async def shipping_fee(region_code: str, points_total: int) -> int:
    """Fee in fen for an express order to `region_code`; 0 when free or when no rule matches."""
    code = (region_code or "").strip()
    rule = await db.fetchrow(
        "SELECT fee, free_over_points FROM mall_shipping_rule WHERE enabled AND left($1, length(region_prefix))"
        " = region_prefix ORDER BY length(region_prefix) DESC LIMIT 1", code)
    if rule is None:
        return 0
    if rule["free_over_points"] and points_total >= rule["free_over_points"]:
        return 0
    return int(rule["fee"])


async def pickup_points(enabled_only: bool = True) -> list[dict]:
    where = "WHERE enabled" if enabled_only else ""
    return await db.fetch(f"SELECT * FROM mall_pickup_point {where} ORDER BY sort, id")


# --- shipping rules ------------------------------------------------------------------------------------

async def list_rules() -> list[dict]:
    return await db.fetch("SELECT * FROM mall_shipping_rule ORDER BY region_prefix, id")


async def get_rule(rule_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM mall_shipping_rule WHERE id = $1", rule_id)
    if row is None:
        raise NotFound(rule_id)
    return row


def _int(data: dict, name: str, message: str, minimum: int = 0) -> int:
    raw = str(data.get(name) or "0").strip()
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(name, message) from None
    if value < minimum:
        raise Invalid(name, message)
    return value


def _fen(data: dict, name: str) -> int:
    """Fees are typed in yuan (e.g. 8 or 8.50) and stored in fen."""
    amount = money.fen(data.get(name) or "0")
    if amount is None or amount > 10_000_00:
        raise Invalid(name, _("Enter the fee in yuan, e.g. 8 or 8.50."))
    return amount


def _clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    prefix = (data.get("region_prefix") or "").strip()
    if prefix and (not prefix.isdigit() or len(prefix) not in (2, 4, 6)):
        raise Invalid("region_prefix", _("Enter 2 (province), 4 (city) or 6 (district) digits, or leave it empty "
                                         "for the default rule."))
    return {"region_prefix": prefix, "fee": _fen(data, "fee"),
            "free_over_points": _int(data, "free_over_points", _("Enter a whole number of points (0 = never free).")),
            "enabled": bool(data.get("enabled"))}


async def save_rule(actor: Actor, data: dict[str, Any], rule_id: int | None = None) -> int:
    values = _clean_rule(data)
    async with db.transaction():
        clash = await db.fetchval("SELECT id FROM mall_shipping_rule WHERE region_prefix = $1 AND id <> $2",
                                  values["region_prefix"], rule_id or 0)
        if clash:
            raise Invalid("region_prefix", _("A rule for this region already exists."))
        if rule_id is None:
            before = None
            rule_id = await db.fetchval(
                "INSERT INTO mall_shipping_rule (region_prefix, fee, free_over_points, enabled, created_by, updated_by)"
                " VALUES ($1, $2, $3, $4, $5, $5) RETURNING id", values["region_prefix"], values["fee"],
                values["free_over_points"], values["enabled"], actor.id)
        else:
            before = await get_rule(rule_id)
            await db.execute(
                "UPDATE mall_shipping_rule SET region_prefix = $2, fee = $3, free_over_points = $4, enabled = $5,"
                " updated_by = $6, updated_at = now() WHERE id = $1", rule_id, values["region_prefix"],
                values["fee"], values["free_over_points"], values["enabled"], actor.id)
        await audit.record(actor, "update" if before else "create", "mall_shipping_rule", rule_id,
                           before=before, after=values)
    return rule_id


async def delete_rule(actor: Actor, rule_id: int) -> None:
    async with db.transaction():
        before = await get_rule(rule_id)
        await db.execute("DELETE FROM mall_shipping_rule WHERE id = $1", rule_id)
        await audit.record(actor, "delete", "mall_shipping_rule", rule_id, before=before)


# --- pickup points ---------------------------------------------------------------------------------------

POINT_FIELDS = ("name", "region_code", "address", "hours", "contact", "phone")


async def get_point(point_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM mall_pickup_point WHERE id = $1", point_id)
    if row is None:
        raise NotFound(point_id)
    return row


def _clean_point(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {k: (data.get(k) or "").strip() for k in POINT_FIELDS}
    if not values["name"]:
        raise Invalid("name", _("Enter the pickup point name."))
    if not values["address"]:
        raise Invalid("address", _("Enter the address."))
    if values["region_code"] and (not values["region_code"].isdigit() or len(values["region_code"]) != 6):
        raise Invalid("region_code", _("Enter a 6-digit district code or leave it empty."))
    limits = {"name": 100, "address": 200, "hours": 100, "contact": 64, "phone": 32}
    for key, limit in limits.items():
        if len(values[key]) > limit:
            raise Invalid(key, _("Use at most %(n)s characters.", n=limit))
    values["enabled"] = bool(data.get("enabled"))
    values["sort"] = _int(data, "sort", _("Enter a whole number."), minimum=-9999)
    return values


async def save_point(actor: Actor, data: dict[str, Any], point_id: int | None = None) -> int:
    values = _clean_point(data)
    cols = list(values)
    async with db.transaction():
        if point_id is None:
            before = None
            point_id = await db.fetchval(
                f"INSERT INTO mall_pickup_point ({', '.join(cols)}, created_by, updated_by)"
                f" VALUES ({', '.join(f'${i + 1}' for i in range(len(cols)))}, ${len(cols) + 1}, ${len(cols) + 1})"
                f" RETURNING id", *values.values(), actor.id)
        else:
            before = await get_point(point_id)
            sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
            await db.execute(f"UPDATE mall_pickup_point SET {sets}, updated_by = ${len(cols) + 2}, updated_at = now()"
                             f" WHERE id = $1", point_id, *values.values(), actor.id)
        await audit.record(actor, "update" if before else "create", "mall_pickup_point", point_id,
                           before=before, after=values)
    return point_id


async def delete_point(actor: Actor, point_id: int) -> None:
    """Points used by open orders cannot be deleted (disable them instead)."""
    async with db.transaction():
        before = await get_point(point_id)
        busy = await db.fetchval(
            "SELECT count(*) FROM mall_order WHERE pickup_point = $1 AND status IN ('pending_payment',"
            " 'pending_shipment', 'pending_receipt')", point_id)
        if busy:
            raise Conflict(_("%(n)s open orders use this pickup point; disable it instead.", n=busy))
        await db.execute("DELETE FROM mall_pickup_point WHERE id = $1", point_id)
        await audit.record(actor, "delete", "mall_pickup_point", point_id, before=before)

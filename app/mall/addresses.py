"""The buyer's address book: CRUD, one default address (a partial unique index keeps it single)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.mall import regions


class NotFound(Exception):
    pass


def form(data: dict | None = None) -> Form:
    return Form([Field("name", L("Recipient"), required=True, max_length=64),
                 Field("phone", L("Mobile phone"), "phone", required=True),
                 Field("province", L("Province"), required=True, max_length=6),
                 Field("region_code", L("City / district"), max_length=6),
                 Field("detail", L("Street address"), required=True, max_length=200),
                 Field("is_default", L("Use as default address"), "checkbox")], data or {})


async def list_for(user_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM mall_address WHERE \"user\" = $1 ORDER BY is_default DESC, id", user_id)


async def get(user_id: int, address_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM mall_address WHERE id = $1 AND \"user\" = $2", address_id, user_id)
    if row is None:
        raise NotFound()
    return row


async def default_for(user_id: int) -> dict | None:
    rows = await list_for(user_id)
    return rows[0] if rows else None


async def save(user: Actor, values: dict, address_id: int | None = None) -> int:
    code = values.get("region_code") or values.get("province") or ""
    if not await regions.is_leaf_code(code):
        raise Invalid("region_code", _("Choose the city or district."))
    name = await regions.full_name(code)
    async with db.transaction():
        count = await db.fetchval("SELECT count(*) FROM mall_address WHERE \"user\" = $1", user.id)
        make_default = bool(values.get("is_default")) or count == 0
        if make_default:
            await db.execute("UPDATE mall_address SET is_default = FALSE WHERE \"user\" = $1 AND is_default", user.id)
        args = [values["name"], values["phone"], code, name, values["detail"], make_default, user.id]
        if address_id is None:
            address_id = await db.fetchval(
                "INSERT INTO mall_address (name, phone, region_code, region_name, detail, is_default, \"user\","
                " created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $7::bigint, $7::bigint)"
                " RETURNING id", *args)
        else:
            await get(user.id, address_id)
            await db.execute(
                "UPDATE mall_address SET name = $1, phone = $2, region_code = $3, region_name = $4, detail = $5,"
                " is_default = is_default OR $6, updated_by = $7::bigint, updated_at = now()"
                " WHERE id = $8 AND \"user\" = $7::bigint",
                *args, address_id)
        await audit.record(user, "mall.address.save", "mall_address", address_id,
                           after={"region": code, "default": make_default})
    return address_id


async def delete(user: Actor, address_id: int) -> None:
    async with db.transaction():
        row = await get(user.id, address_id)
        await db.execute("DELETE FROM mall_address WHERE id = $1", address_id)
        if row["is_default"]:  # the next one becomes the default, so checkout always has one preselected
            await db.execute("UPDATE mall_address SET is_default = TRUE WHERE id = (SELECT id FROM mall_address"
                             " WHERE \"user\" = $1 ORDER BY id LIMIT 1)", user.id)
        await audit.record(user, "mall.address.delete", "mall_address", address_id, before={"detail": row["detail"]})


async def make_default(user: Actor, address_id: int) -> None:
    async with db.transaction():
        await get(user.id, address_id)
        await db.execute("UPDATE mall_address SET is_default = FALSE WHERE \"user\" = $1 AND is_default", user.id)
        await db.execute("UPDATE mall_address SET is_default = TRUE WHERE id = $1", address_id)
        await audit.record(user, "mall.address.default", "mall_address", address_id)

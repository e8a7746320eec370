"""Member levels (MALL-03): a name and icon reached at a minimum of accumulated points (earned + granted,
never reduced by spending). The icon is a built-in medal or an uploaded image."""
from __future__ import annotations

from typing import Any

from app.core import audit, db, uploads
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.uploads import StoredFile

BUILTIN_ICONS = {"bronze": L("Bronze medal"), "silver": L("Silver medal"), "gold": L("Gold medal"),
                 "platinum": L("Platinum medal"), "diamond": L("Diamond medal")}


class NotFound(Exception):
    """No such level."""


def icon_url(icon: str) -> str:
    if not icon:
        return ""
    if icon.startswith("builtin:"):
        return f"/static/img/points/{icon.removeprefix('builtin:')}.svg"
    return StoredFile(icon, "", 0, "").url


def level_form(data: dict | None = None) -> Form:
    return Form([
        Field("name", L("Level name"), required=True, max_length=50),
        Field("min_points", L("Accumulated points needed"), "int", required=True, min_value=0,
              max_value=1_000_000_000, help=L("Points earned and granted over time; spending does not lower them.")),
        Field("builtin", L("Built-in icon"), "select", choices=list(BUILTIN_ICONS.items())),
        Field("upload", L("Or upload an icon"), "file", help=L("PNG, JPG or GIF; replaces the built-in icon.")),
    ], data or {})


async def list_levels() -> list[dict]:
    """Levels in ascending order with how many members are at each one now (admin list)."""
    rows = await db.fetch("SELECT l.*, (SELECT count(*) FROM pts_account a WHERE a.earned_total >= l.min_points"
                          " AND a.earned_total < coalesce((SELECT min(n.min_points) FROM pts_level n"
                          " WHERE n.min_points > l.min_points), 9223372036854775807)) AS members"
                          " FROM pts_level l ORDER BY l.min_points")
    return [{**r, "icon_url": icon_url(r["icon"])} for r in rows]


async def get_level(level_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM pts_level WHERE id = $1", level_id)
    if row is None:
        raise NotFound(level_id)
    return {**row, "icon_url": icon_url(row["icon"])}


async def _icon(cleaned: dict[str, Any], current: str = "") -> str:
    upload = cleaned.get("upload")
    if upload is not None and getattr(upload, "filename", None):
        stored = await uploads.save(upload.filename, await upload.read(), images_only=True, field="upload")
        return stored.key
    if cleaned.get("builtin"):
        return f"builtin:{cleaned['builtin']}"
    return current


async def _unique(min_points: int, level_id: int | None = None) -> None:
    if await db.fetchval("SELECT 1 FROM pts_level WHERE min_points = $1 AND id IS DISTINCT FROM $2", min_points,
                         level_id):
        raise Invalid("min_points", _("Another level already starts at this number of points."))


async def create_level(actor: Actor, cleaned: dict[str, Any]) -> int:
    icon = await _icon(cleaned)
    async with db.transaction():
        await _unique(cleaned["min_points"])
        level_id = await db.fetchval("INSERT INTO pts_level (name, min_points, icon, sort, created_by, updated_by)"
                                     " VALUES ($1, $2, $3, 0, $4, $4) RETURNING id", cleaned["name"],
                                     cleaned["min_points"], icon, actor.id)
        await audit.record(actor, "points.level.create", "pts_level", level_id,
                           after={"name": cleaned["name"], "min_points": cleaned["min_points"], "icon": icon},
                           summary=cleaned["name"])
    return level_id


async def update_level(actor: Actor, level_id: int, cleaned: dict[str, Any]) -> None:
    before = await get_level(level_id)
    icon = await _icon(cleaned, before["icon"])
    async with db.transaction():
        await _unique(cleaned["min_points"], level_id)
        await db.execute("UPDATE pts_level SET name = $2, min_points = $3, icon = $4, updated_at = now(),"
                         " updated_by = $5 WHERE id = $1", level_id, cleaned["name"], cleaned["min_points"], icon,
                         actor.id)
        await audit.record(actor, "points.level.update", "pts_level", level_id,
                           before={k: before[k] for k in ("name", "min_points", "icon")},
                           after={"name": cleaned["name"], "min_points": cleaned["min_points"], "icon": icon},
                           summary=cleaned["name"])


async def delete_level(actor: Actor, level_id: int) -> None:
    async with db.transaction():
        before = await db.fetchrow("DELETE FROM pts_level WHERE id = $1 RETURNING *", level_id)
        if before is None:
            raise NotFound(level_id)
        await audit.record(actor, "points.level.delete", "pts_level", level_id, before=before, summary=before["name"])


async def level_of(earned: int) -> dict:
    """The level reached with `earned` accumulated points, the next one, and the progress towards it (0-100)."""
    rows = await db.fetch("SELECT * FROM pts_level ORDER BY min_points")
    rows = [{**r, "icon_url": icon_url(r["icon"])} for r in rows]
    current = next((r for r in reversed(rows) if r["min_points"] <= earned), None)
    following = next((r for r in rows if r["min_points"] > earned), None)
    progress = 100
    if following is not None:
        base = current["min_points"] if current else 0
        progress = int((earned - base) * 100 / max(1, following["min_points"] - base))
    return {"current": current, "next": following, "progress": progress,
            "to_next": following["min_points"] - earned if following else 0}

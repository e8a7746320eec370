"""Class liaisons (CLS-02: 班级联络员, several per class): appointed and removed by the admins of the class's
college or HQ (classes.manage in the class's scope — a liaison does not appoint liaisons). A liaison moderates
the class's content and decides its join and leave requests (classes.can_manage)."""
from __future__ import annotations

from app.classes import classes
from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied

ENTITY = "classes_liaison"


async def _ensure_staff(actor: Actor, klass: dict, action: str) -> None:
    if not classes.in_scope(actor, klass):
        await audit.record(actor, "denied", classes.ENTITY, klass["id"], summary=f"{action}: {klass['name']}",
                           org_id=klass["org_id"])
        raise PermissionDenied()


async def list_for(class_id: int) -> list[dict]:
    return await db.fetch("SELECT l.*, u.name AS user_name, u.username FROM classes_liaison l JOIN app_user u"
                          " ON u.id = l.\"user\" WHERE l.class_id = $1 ORDER BY l.created_at, l.id", class_id)


async def appoint(actor: Actor, class_id: int, username: str) -> int:
    """Appoint the active account with this username (or phone) as a liaison; returns its user id."""
    klass = await classes.get(class_id)
    await _ensure_staff(actor, klass, "appoint liaison")
    who = (username or "").strip()
    user = await db.fetchrow("SELECT id, name, username FROM app_user WHERE is_active AND (lower(username) = lower($1)"
                             " OR phone = $1) ORDER BY id LIMIT 1", who) if who else None
    if user is None:
        raise Invalid("username", _("No active account has this username or phone number."))
    async with db.transaction():
        status = await db.execute("INSERT INTO classes_liaison (class_id, \"user\", created_by) VALUES ($1, $2, $3)"
                                  " ON CONFLICT (class_id, \"user\") DO NOTHING", class_id, user["id"], actor.id)
        if status.endswith(" 0"):
            raise Invalid("username", _("%(name)s is already a liaison of this class.",
                                        name=user["name"] or user["username"]))
        await audit.record(actor, "appoint", ENTITY, class_id, after={"user": user["id"], "username": user["username"]},
                           summary=klass["name"], org_id=klass["org_id"])
    return user["id"]


async def remove(actor: Actor, class_id: int, user_id: int) -> None:
    klass = await classes.get(class_id)
    await _ensure_staff(actor, klass, "remove liaison")
    async with db.transaction():
        status = await db.execute("DELETE FROM classes_liaison WHERE class_id = $1 AND \"user\" = $2", class_id,
                                  user_id)
        if status.endswith(" 1"):
            await audit.record(actor, "remove", ENTITY, class_id, before={"user": user_id}, summary=klass["name"],
                               org_id=klass["org_id"])

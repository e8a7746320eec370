"""The admin class page (/admin/classes/{id}): what it shows, gathered from the class's services — liaisons,
members, pending requests, moderation settings and the cohesion breakdown — behind the scope check."""
from __future__ import annotations

from app.classes import classes, cohesion, liaisons, roster, space
from app.core import audit
from app.core.audit import Actor
from app.core.permissions import PermissionDenied


async def admin_detail(actor: Actor, class_id: int) -> dict:
    """The admin class page: staff with classes.view (or classes.manage) in the class's scope; 403 (audited)
    otherwise. Liaisons, members, pending requests, moderation settings and the cohesion breakdown."""
    klass = await classes.get(class_id)
    if not (classes.in_scope(actor, klass, "classes.view") or classes.in_scope(actor, klass)):
        await audit.record(actor, "denied", classes.ENTITY, class_id, summary=f"admin page: {klass['name']}",
                           org_id=klass["org_id"])
        raise PermissionDenied()
    return {"klass": klass, "liaisons": await liaisons.list_for(class_id), "members": await roster.members(class_id),
            "requests": await roster.pending(class_id), "settings": await space.moderation_settings(class_id),
            "breakdown": await cohesion.breakdown(class_id), "can_manage": classes.in_scope(actor, klass)}


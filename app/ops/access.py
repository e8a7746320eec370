"""Who runs an event. HQ events: holders of `ops.event.manage`. An org's or a class's events (OPS-03, CLS-05):
also whoever moderates that owner on the content platform (the org's appointed admins by data scope, the
class's liaisons) — the same hooks, so an org admin manages the org's news, albums and events alike.
Staff with `ops.checkin` may check people in at any event; organisers at their own."""
from __future__ import annotations

from app.content import api as content
from app.core.audit import Actor

MANAGE = "ops.event.manage"
CHECKIN = "ops.checkin"
OWNER_KINDS = ("hq", "org", "class")


class NotAllowed(Exception):
    pass


class NotFound(Exception):
    pass


def owner_of(event: dict) -> tuple[str, int]:
    return (event["owner_kind"], int(event["owner_id"]))


async def may_manage(actor: Actor | None, event: dict | tuple) -> bool:
    owner = event if isinstance(event, tuple) else owner_of(event)
    if actor is None:
        return False
    if actor.can(MANAGE):  # superusers and the system actor too
        return True
    return owner[0] in ("org", "class") and await _hook(content.can_moderate, actor, owner)


async def _hook(check, actor: Actor, owner: tuple[str, int]) -> bool:
    try:
        return await check(actor, owner)
    except content.Invalid:  # the owning module is not installed
        return False


async def may_check_in(actor: Actor | None, event: dict) -> bool:
    return actor is not None and (actor.can(CHECKIN) or await may_manage(actor, event))


async def may_initiate(actor: Actor | None, owner: tuple[str, int]) -> bool:
    """An alumnus may propose an event for an org or class they belong to (it waits for approval, OPS-03)."""
    if actor is None or actor.id is None or owner[0] not in ("org", "class"):
        return False
    return await _hook(content.can_post, actor, owner)


async def require_manage(actor: Actor | None, event: dict | tuple) -> None:
    if not await may_manage(actor, event):
        raise NotAllowed()

"""What other modules may use of the associations (the operations module's events are the first caller): who is a
member or an admin of which org, the org's own rule for events its members start, and the hook that fills the
micro-site's events section."""
from __future__ import annotations

from app.core.audit import Actor
from app.orgs import admins, members, microsite, orgs

NotFound = orgs.NotFound


def register_event_source(source: microsite.EventSource) -> None:
    """async fn(org_id, viewer) -> [{"title", "url", "starts_at", "place"}]: shown in the micro-site's events."""
    if source not in microsite.EVENT_SOURCES:
        microsite.EVENT_SOURCES.append(source)


async def org_summary(org_id: int) -> dict:
    """id, name, slug, kind, status, node (its org-tree node, for data scope) and event_approval."""
    org = await orgs.get(org_id)
    return {k: org[k] for k in ("id", "name", "slug", "kind", "status", "node", "event_approval")}


async def is_member(user_id: int | None, org_id: int) -> bool:
    return await members.is_member(user_id, org_id)


async def member_orgs(user_id: int) -> list[dict]:
    """The active orgs the user belongs to: id, name, slug, kind, role."""
    return await members.my_orgs(user_id)


async def may_manage(actor: Actor, org_id: int) -> bool:
    """HQ or an appointed admin of this org (data scope covering the org's node)."""
    return orgs.may_manage(actor, await orgs.get(org_id))


async def managed_org_ids(actor: Actor) -> list[int] | None:
    """The orgs this actor manages (None: all)."""
    return await admins.managed_ids(actor)


async def member_user_ids(org_id: int) -> list[int]:
    """The login accounts of the org's active members (mass messaging, OPS-01)."""
    from app.core import db

    return [r["user"] for r in await db.fetch(
        'SELECT DISTINCT "user" FROM orgs_member WHERE org = $1 AND status = \'active\'', org_id)]


async def org_choices(ids: list[int] | None = None) -> list[tuple[int, str]]:
    """(id, name) of the active orgs, only these ids when given (None: all) — for pickers in other modules."""
    from app.core import db

    if ids is None:
        rows = await db.fetch("SELECT id, name FROM orgs_org WHERE status = 'active' ORDER BY name, id")
    else:
        rows = await db.fetch("SELECT id, name FROM orgs_org WHERE status = 'active' AND id = ANY($1::bigint[])"
                              " ORDER BY name, id", list(ids))
    return [(r["id"], r["name"]) for r in rows]

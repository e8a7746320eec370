"""Who may manage which association (ORG-10): HQ (orgs.org.admin) or an appointed org admin (orgs.org.manage),
in both cases with a data scope covering the org's org-tree node. Every org admin page fetches its org through
`for_manager` (404 when missing; 403 and an audit entry when outside the actor's scope)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.permissions import PermissionDenied

ADMIN = "orgs.org.admin"  # HQ: create and edit any org in scope, decide applications, appoint admins
MANAGE = "orgs.org.manage"  # an org admin: their own orgs
EXPORT = "orgs.member.export"


class NotFound(Exception):
    """No such association (or not shown to this viewer)."""


SELECT = ("SELECT o.*, n.path AS node_path, n.name AS node_name, p.name AS parent_name FROM orgs_org o"
          " LEFT JOIN org_node n ON n.id = o.node LEFT JOIN orgs_org p ON p.id = o.parent")


def may_manage(actor, org: dict) -> bool:
    """HQ or an appointed admin whose data scope covers the org's node."""
    if actor is None or not (actor.can(ADMIN) or actor.can(MANAGE)):
        return False
    return actor.scope.allows(org["node_path"]) if org.get("node_path") else actor.scope.all


def may_administer(actor, org: dict) -> bool:
    """HQ-level changes (kind, parent, status, slug, admins) of an org in the actor's scope."""
    return actor is not None and actor.can(ADMIN) and may_manage(actor, org)


async def get(org_id: int) -> dict:
    row = await db.fetchrow(f"{SELECT} WHERE o.id = $1", org_id)
    if row is None:
        raise NotFound(org_id)
    return row


async def by_slug(slug: str) -> dict:
    """An active org by its micro-site address."""
    row = await db.fetchrow(f"{SELECT} WHERE o.slug = $1 AND o.status = 'active'", (slug or "").lower()[:40])
    if row is None:
        raise NotFound(slug)
    return row


async def refuse(actor: Actor, org: dict, what: str = "") -> None:
    """An org outside the actor's scope was asked for (e.g. another org's id typed into a URL): audited, 403."""
    await audit.record(actor, "refused", "orgs_org", org["id"], summary=f"outside data scope {what}".strip()[:200],
                       org_id=org["node"])
    raise PermissionDenied()


async def for_manager(actor: Actor, org_id: int) -> dict:
    """The org, for one of its admin pages: 404 when missing, 403 (audited) when outside the actor's scope."""
    org = await get(org_id)
    if not may_manage(actor, org):
        await refuse(actor, org)
    return org


async def for_hq(actor: Actor, org_id: int) -> dict:
    org = await get(org_id)
    if not may_administer(actor, org):
        await refuse(actor, org, "hq")
    return org


def scope_sql(actor: Actor, args: list, alias: str = "o") -> str:
    """The orgs this actor may manage, as one WHERE fragment."""
    return actor.scope.sql(f"{alias}.node", None, args)

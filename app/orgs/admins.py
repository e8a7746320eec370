"""Org admins (ORG-10): HQ appoints members of an org as its admins and sets what they may do.

How an appointment is scoped: each org has ONE role of its own, code "orgs.admin.<org id>", whose data scope is
the org's node (`role.scope_org` = orgs_org.node; "subtree" = the org and its sub-orgs, or "org" = the org
alone). Its permissions are those of the seeded role "org_admin" (分会管理员) plus orgs.org.manage, and whatever
extra functions HQ ticks for that org (e.g. exporting the address book). Appointing grants that role, revoking
takes it away; the member's role in orgs_member says "admin" meanwhile. The existing scope machinery then does
the rest: an appointed admin's lists hold only their org's subtree, and another org's id in a URL is 403."""
from __future__ import annotations

from app.core import audit, db, notify
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.orgs import access
from app.support import roles

TEMPLATE_ROLE = "org_admin"  # the seeded 分会管理员 role: its permissions are every org admin's base
BASE_PERMS = ("sup.admin", "sup.todo.view", access.MANAGE)
EXTRA_PERMS = {access.EXPORT: L("Export the member address book")}
DEFAULT_EXTRAS = (access.EXPORT,)
SCOPES = {"subtree": L("This association and its sub-associations"), "org": L("This association only")}
APPOINTED_TEMPLATE = "orgs_admin_appointed"

notify.DEFAULT_TEMPLATES.setdefault(APPOINTED_TEMPLATE, (L("Appointed as an association admin"), {
    "inbox": (L("You are now an admin of {{ org }}"),
              L("HQ appointed you as an admin of {{ org }}. Manage it at {{ link }}.")),
}))


def role_code(org_id: int) -> str:
    return f"orgs.admin.{org_id}"


async def role_of(org_id: int) -> dict | None:
    return await db.fetchrow("SELECT * FROM role WHERE code = $1", role_code(org_id))


async def _base_perms() -> set[str]:
    perms = await db.fetchval("SELECT permissions FROM role WHERE code = $1", TEMPLATE_ROLE) or []
    return set(perms) | set(BASE_PERMS)


async def settings(actor: Actor, org_id: int) -> dict:
    """The org's admin role as HQ sees it: its extra functions, its data scope, who holds it."""
    org = await access.for_hq(actor, org_id)
    role = await role_of(org_id)
    holders = await db.fetch(
        "SELECT u.id, u.username, u.name, m.id AS member_id FROM user_role ur JOIN app_user u ON u.id = ur.\"user\""
        " LEFT JOIN orgs_member m ON m.org = $2 AND m.\"user\" = u.id WHERE ur.role = $1 ORDER BY u.name",
        role["id"] if role else None, org_id)
    return {"org": org, "role": role, "holders": holders,
            "extras": [p for p in EXTRA_PERMS if role and p in role["permissions"]] if role else list(DEFAULT_EXTRAS),
            "data_scope": role["data_scope"] if role else "subtree"}


async def configure(actor: Actor, org_id: int, extras: list[str], data_scope: str) -> int:
    """HQ sets the function permissions (base + extras) and the data scope of the org's admins."""
    if any(p not in EXTRA_PERMS for p in extras):
        raise Invalid("extras", _("Choose from the list."))
    if data_scope not in SCOPES:
        raise Invalid("data_scope", _("Choose from the list."))
    org = await access.for_hq(actor, org_id)
    if not org["node"]:
        raise Invalid("data_scope", _("Give the association an org node first (its data scope)."))
    return await roles.ensure_role(actor, code=role_code(org_id), name=_("%(org)s admin", org=org["name"])[:64],
                                   permissions=sorted(await _base_perms() | set(extras)), data_scope=data_scope,
                                   scope_org=org["node"], description=_("Admins of the association %(org)s (orgs)",
                                                                        org=org["name"]))


async def rescope(actor: Actor, org_id: int) -> None:
    """The org moved to another node: its admin role follows."""
    role = await role_of(org_id)
    if role is not None:
        await configure(actor, org_id, [p for p in EXTRA_PERMS if p in role["permissions"]], role["data_scope"])


async def appoint(actor: Actor, org_id: int, user_id: int) -> None:
    """A member becomes an admin of the org (HQ only); told by a message."""
    async with db.transaction():
        org = await access.for_hq(actor, org_id)
        member = await db.fetchrow("SELECT id, role, status FROM orgs_member WHERE org = $1 AND \"user\" = $2"
                                   " FOR UPDATE", org_id, user_id)
        if member is None or member["status"] != "active":
            raise Invalid("user", _("Only a member can be appointed; add them as a member first."))
        role = await role_of(org_id)
        role_id = role["id"] if role else await configure(actor, org_id, list(DEFAULT_EXTRAS), "subtree")
        await roles.grant_role(actor, user_id, role_id)
        if member["role"] == "admin":
            return
        await db.execute("UPDATE orgs_member SET role = 'admin', updated_at = now() WHERE id = $1", member["id"])
        await audit.record(actor, "appoint", "orgs_member", member["id"], org_id=org["node"], summary=org["name"],
                           before={"role": member["role"]}, after={"role": "admin", "role_id": role_id})
        url = f"/admin/associations/{org_id}"
        await notify.notify([user_id], APPOINTED_TEMPLATE, {"org": org["name"], "link": url}, url=url)


async def revoke(actor: Actor, org_id: int, user_id: int, *, check: bool = True) -> None:
    """The admin appointment ends (HQ; or, with check=False, because the member left or was removed)."""
    async with db.transaction():
        org = await access.for_hq(actor, org_id) if check else await access.get(org_id)
        role = await role_of(org_id)
        had = bool(role) and await roles.revoke_role(actor, user_id, role["id"])
        member = await db.fetchrow("SELECT id, role FROM orgs_member WHERE org = $1 AND \"user\" = $2", org_id,
                                   user_id)
        if member is not None and member["role"] == "admin":
            await db.execute("UPDATE orgs_member SET role = 'member', updated_at = now() WHERE id = $1", member["id"])
        elif not had:
            raise Conflict(_("This person is not an admin of the association."))
        await audit.record(actor, "revoke", "orgs_member", member["id"] if member else "", org_id=org["node"],
                           summary=org["name"], before={"role": "admin"}, after={"role": "member", "user": user_id})


async def managed_ids(actor: Actor) -> list[int] | None:
    """The ids of the orgs this actor manages (None: all of them)."""
    if actor is None or not (actor.can(access.ADMIN) or actor.can(access.MANAGE)):
        return []
    if actor.scope.all:
        return None
    args: list = []
    return [r["id"] for r in await db.fetch(f"SELECT o.id FROM orgs_org o WHERE {access.scope_sql(actor, args)}",
                                            *args)]

"""Roles (SUP-03): permissions (menu/page/button) and a data scope, assigned to users."""
from __future__ import annotations

from app.core import audit, db, sessions
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import REGISTRY, SCOPES


async def list_roles() -> list[dict]:
    return await db.fetch(
        "SELECT r.id, r.code, r.name, r.description, r.data_scope, r.builtin, cardinality(r.permissions) AS perm_count,"
        " o.name AS scope_org_name, (SELECT count(*) FROM user_role ur WHERE ur.role = r.id) AS users "
        "FROM role r LEFT JOIN org_node o ON o.id = r.scope_org ORDER BY r.builtin DESC, r.id")


async def choices() -> list[tuple[str, str]]:
    return [(str(r["id"]), r["name"]) for r in await db.fetch("SELECT id, name FROM role ORDER BY id")]


async def get_role(role_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM role WHERE id = $1", role_id)
    if row is None:
        raise Invalid("id", _("This role does not exist."))
    return row


def _validate(actor: Actor, permissions: list[str], data_scope: str, scope_org: int | None) -> list[str]:
    unknown = [p for p in permissions if p not in REGISTRY]
    if unknown:
        raise Invalid("permissions", _("Unknown permission: %(code)s", code=unknown[0]))
    if data_scope not in SCOPES:
        raise Invalid("data_scope", _("Choose from the list."))
    if not actor.is_superuser:
        if not set(permissions) <= actor.perms:
            raise Invalid("permissions", _("You cannot grant permissions you do not hold."))
        if data_scope == "all" and not actor.scope.all:
            raise Invalid("data_scope", _("You cannot grant a wider data scope than your own."))
    return sorted(set(permissions))


async def _check_scope_org(actor: Actor, scope_org: int | None) -> None:
    if scope_org is None:
        return
    path = await db.fetchval("SELECT path FROM org_node WHERE id = $1", scope_org)
    if path is None or not actor.scope.allows(path):
        raise Invalid("scope_org", _("Choose an org node inside your data scope."))


async def save_role(actor: Actor, role_id: int | None, *, code: str, name: str, description: str,
                    permissions: list[str], data_scope: str, scope_org: int | None) -> int:
    perms = _validate(actor, permissions, data_scope, scope_org)
    async with db.transaction():
        await _check_scope_org(actor, scope_org)
        if await db.fetchval("SELECT 1 FROM role WHERE code = $1 AND id IS DISTINCT FROM $2", code, role_id):
            raise Invalid("code", _("Another role already uses this code."))
        after = {"code": code, "name": name, "description": description, "permissions": perms,
                 "data_scope": data_scope, "scope_org": scope_org}
        if role_id is None:
            role_id = await db.fetchval(
                "INSERT INTO role (code, name, description, permissions, data_scope, scope_org, created_by, updated_by)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id", code, name, description, perms, data_scope,
                scope_org, actor.id)
            await audit.record(actor, "create", "role", role_id, after=after)
        else:
            before = await get_role(role_id)
            await db.execute("UPDATE role SET code=$2, name=$3, description=$4, permissions=$5, data_scope=$6,"
                             " scope_org=$7, updated_at=now(), updated_by=$8 WHERE id=$1", role_id, code, name,
                             description, perms, data_scope, scope_org, actor.id)
            await audit.record(actor, "update", "role", role_id, after=after,
                               before={k: before[k] for k in after})
            holders = await db.fetch('SELECT "user" FROM user_role WHERE role = $1', role_id)
            await sessions.user_changed([r["user"] for r in holders])  # new permissions / scope at once
    return role_id


async def delete_role(actor: Actor, role_id: int) -> None:
    async with db.transaction():
        role = await get_role(role_id)
        if role["builtin"]:
            raise Conflict(_("Built-in roles cannot be deleted."))
        if await db.fetchval("SELECT 1 FROM user_role WHERE role = $1 LIMIT 1", role_id):
            raise Conflict(_("Users still hold this role; take it from them first."))
        await db.execute("DELETE FROM role WHERE id = $1", role_id)
        await audit.record(actor, "delete", "role", role_id, before=role)


# --- roles held by appointment (a module appoints people by its own rule, e.g. the admins of an alumni association) ---

async def ensure_role(actor: Actor, *, code: str, name: str, permissions: list[str], data_scope: str,
                      scope_org: int | None, description: str = "") -> int:
    """The role with this code, created or brought to these permissions and this scope; the same checks as
    save_role (no permission or scope the actor does not hold). Audited when created or changed."""
    perms = _validate(actor, permissions, data_scope, scope_org)
    async with db.transaction():
        await _check_scope_org(actor, scope_org)
        row = await db.fetchrow("SELECT * FROM role WHERE code = $1 FOR UPDATE", code)
        after = {"code": code, "name": name, "description": description, "permissions": perms,
                 "data_scope": data_scope, "scope_org": scope_org}
        if row is None:
            role_id = await db.fetchval(
                "INSERT INTO role (code, name, description, permissions, data_scope, scope_org, created_by, updated_by)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id", code, name, description, perms, data_scope,
                scope_org, actor.id)
            await audit.record(actor, "create", "role", role_id, after=after)
            return role_id
        before = {k: row[k] for k in after}
        if before != after:
            await db.execute("UPDATE role SET name=$2, description=$3, permissions=$4, data_scope=$5, scope_org=$6,"
                             " updated_at=now(), updated_by=$7 WHERE id=$1", row["id"], name, description, perms,
                             data_scope, scope_org, actor.id)
            await audit.record(actor, "update", "role", row["id"], before=before, after=after)
            holders = await db.fetch('SELECT "user" FROM user_role WHERE role = $1', row["id"])
            await sessions.user_changed([r["user"] for r in holders])
        return row["id"]


async def grant_role(actor: Actor, user_id: int, role_id: int) -> bool:
    """Gives one role to one user (True when it was new); the actor must hold the role's permissions."""
    async with db.transaction():
        role = await get_role(role_id)
        if not actor.is_superuser and (not set(role["permissions"]) <= actor.perms
                                       or (role["data_scope"] == "all" and not actor.scope.all)):
            raise Invalid("roles", _("You cannot grant the role %(name)s: it has permissions you do not hold.",
                                     name=role["name"]))
        status = await db.execute('INSERT INTO user_role ("user", role) SELECT $1, $2 WHERE NOT EXISTS'
                                  ' (SELECT 1 FROM user_role WHERE "user" = $1 AND role = $2)', user_id, role_id)
        if not status.endswith(" 1"):
            return False
        await sessions.user_changed([user_id])  # the new permissions and scope apply at once
        await audit.record(actor, "grant_role", "user", user_id, summary=role["code"], after={"role": role_id})
    return True


async def revoke_role(actor: Actor, user_id: int, role_id: int) -> bool:
    """Takes one role from one user (True when they held it); their sessions lose it at once."""
    async with db.transaction():
        status = await db.execute('DELETE FROM user_role WHERE "user" = $1 AND role = $2', user_id, role_id)
        if not status.endswith(" 1"):
            return False
        code = await db.fetchval("SELECT code FROM role WHERE id = $1", role_id)
        await sessions.user_changed([user_id])
        await audit.record(actor, "revoke_role", "user", user_id, summary=code or "", before={"role": role_id})
    return True


async def role_holders(role_id: int) -> list[int]:
    return [r["user"] for r in await db.fetch('SELECT "user" FROM user_role WHERE role = $1 ORDER BY "user"',
                                              role_id)]

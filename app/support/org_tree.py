"""Org tree (SUP-01): create, rename, move, disable; every node's materialised path gives data scope."""
from __future__ import annotations

from app.core import audit, db, sessions, trees
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied, Scope

COLUMNS = "id, parent, name, code, kind, path, depth, sort, enabled"


async def tree(scope: Scope, include_disabled: bool = True) -> list[dict]:
    """Nested nodes visible in this scope (roots are the top-most visible nodes), with user counts."""
    args: list = []
    where = scope.sql("n.id", None, args)
    if not include_disabled:
        where += " AND n.enabled"
    rows = await db.fetch(
        f"SELECT n.{COLUMNS.replace(', ', ', n.')}, (SELECT count(*) FROM app_user u WHERE u.org = n.id) AS users "
        f"FROM org_node n WHERE {where} ORDER BY n.depth, n.sort, n.id", *args)
    return trees.nest(rows)


async def flat(scope: Scope) -> list[dict]:
    """Visible nodes in tree order with depth, for select boxes."""
    out: list[dict] = []

    def walk(nodes, level):
        for n in nodes:
            out.append({**n, "level": level})
            walk(n["children"], level + 1)

    walk(await tree(scope, include_disabled=False), 0)
    return out


async def get(node_id: int, scope: Scope) -> dict:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM org_node WHERE id = $1", node_id)
    if row is None:
        raise Invalid("id", _("This org node does not exist."))
    if not scope.allows(row["path"]):
        raise PermissionDenied()
    return row


async def _check_code(code: str | None, exclude_id: int | None) -> None:
    if code and await db.fetchval("SELECT 1 FROM org_node WHERE code = $1 AND id IS DISTINCT FROM $2",
                                  code, exclude_id):
        raise Invalid("code", _("Another org node already uses this code."))


async def create(actor: Actor, *, name: str, parent_id: int | None, kind: str = "association",
                 code: str | None = None, sort: int = 0) -> int:
    async with db.transaction():
        parent = await get(parent_id, actor.scope) if parent_id else None
        if parent is None and not actor.scope.all:
            raise Invalid("parent", _("Choose a parent node inside your data scope."))
        await _check_code(code, None)
        node_id = await db.fetchval(
            "INSERT INTO org_node (parent, name, code, kind, sort, depth, created_by, updated_by) "
            "VALUES ($1,$2,$3,$4,$5,$6,$7,$7) RETURNING id",
            parent_id, name, code, kind, sort, (parent["depth"] + 1) if parent else 0, actor.id)
        path = f"{parent['path'] if parent else '/'}{node_id}/"
        await db.execute("UPDATE org_node SET path = $2 WHERE id = $1", node_id, path)
        await sessions.shell_changed()  # college lists and menus built from the tree
        await audit.record(actor, "create", "org_node", node_id, after={"name": name, "code": code, "kind": kind,
                                                                          "parent": parent_id}, org_id=node_id)
    return node_id


async def update(actor: Actor, node_id: int, *, name: str, kind: str, code: str | None, sort: int,
                 enabled: bool) -> None:
    async with db.transaction():
        before = await get(node_id, actor.scope)
        await _check_code(code, node_id)
        await db.execute("UPDATE org_node SET name=$2, kind=$3, code=$4, sort=$5, enabled=$6, updated_at=now(), "
                         "updated_by=$7 WHERE id=$1", node_id, name, kind, code, sort, enabled, actor.id)
        after = {**before, "name": name, "kind": kind, "code": code, "sort": sort, "enabled": enabled}
        if name != before["name"]:
            await sessions.user_changed()  # the shell shows the user's org name
        else:
            await sessions.shell_changed()  # college lists built from the tree
        await audit.record(actor, "update", "org_node", node_id, before=before, after=after, org_id=node_id)


async def move(actor: Actor, node_id: int, new_parent_id: int) -> None:
    """Re-parent a node with its whole subtree (paths and depths rewritten in one statement)."""
    async with db.transaction():
        node = await get(node_id, actor.scope)
        parent = await get(new_parent_id, actor.scope)
        if parent["path"].startswith(node["path"]):
            raise Invalid("parent", _("A node cannot move under itself or its own sub-nodes."))
        new_path = f"{parent['path']}{node_id}/"
        delta = parent["depth"] + 1 - node["depth"]
        await db.execute("UPDATE org_node SET path = $2 || substr(path, length($1) + 1), depth = depth + $3, "
                         "updated_at = now(), updated_by = $4 WHERE path LIKE $1 || '%'",
                         node["path"], new_path, delta, actor.id)
        await db.execute("UPDATE org_node SET parent = $2 WHERE id = $1", node_id, new_parent_id)
        await sessions.user_changed()  # data scopes are org paths: every cached scope may have moved
        await audit.record(actor, "move", "org_node", node_id, before={"parent": node["parent"]},
                           after={"parent": new_parent_id}, org_id=node_id)


async def delete(actor: Actor, node_id: int) -> None:
    async with db.transaction():
        node = await get(node_id, actor.scope)
        if await db.fetchval("SELECT 1 FROM org_node WHERE parent = $1 LIMIT 1", node_id):
            raise Conflict(_("Move or delete its sub-nodes first."))
        if await db.fetchval("SELECT 1 FROM app_user WHERE org = $1 LIMIT 1", node_id):
            raise Conflict(_("Users still belong to this node; move them or disable the node instead."))
        await db.execute("DELETE FROM org_node WHERE id = $1", node_id)
        await sessions.shell_changed()
        await audit.record(actor, "delete", "org_node", node_id, before=node, org_id=node["parent"])

"""The associations themselves (ORG-01, ORG-02): the tree, create, the profile an org's admins keep up (contacts,
rich description, logo, join rules). Who may manage which org is access.py (re-exported here).

Data scope: every org points at an org-tree node (`node`). Managing an org needs orgs.org.admin (HQ) or
orgs.org.manage (an appointed org admin) AND a data scope covering that node; an org created without a node gets a
new node under its parent's node, so each org's admins can be scoped to it alone (see admins.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.content import api as content
from app.core import audit, cache, db, sqlfilter, trees, uploads
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied
from app.core.storage import storage
from app.orgs import admins
from app.orgs.access import (  # noqa: F401 — re-exported: the orgs service's surface
    ADMIN,
    EXPORT,
    MANAGE,
    NotFound,
    by_slug,
    for_hq,
    for_manager,
    get,
    may_administer,
    may_manage,
    refuse,
    scope_sql,
)

KINDS = {"local": L("Local association"), "college": L("College association"),
         "industry": L("Industry association"), "interest": L("Interest group")}
STATUSES = {"active": L("Active"), "pending": L("Being set up"), "disabled": L("Disabled")}
JOIN_RULES = {"open": L("Open: eligible alumni join at once"), "approval": L("Approval by the org's admins"),
              "closed": L("Closed: no new members")}
REQUIREMENTS = {"any": L("Any registered user"), "verified": L("Verified alumni only")}
NODE_KINDS = {"local": "branch", "college": "college", "industry": "branch", "interest": "branch"}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
SITE_CACHE = "orgs.site"  # key prefix of the anonymous micro-site front pages (microsite.home)
ROW_CACHE = "orgs.row"  # the content hooks' briefly cached org rows (content_link)
# What an appointed org admin may change; HQ (orgs.org.admin) may change everything.
PROFILE_FIELDS = ("summary", "description", "region", "founded", "contact_name", "phone", "email", "address",
                  "join_rule", "join_requirement", "event_approval")
HQ_FIELDS = ("name", "slug", "kind", "parent", "status", "sort", "node")

# --- lists and the tree ---------------------------------------------------------------------------------

@dataclass
class OrgFilters:
    q: str = ""
    kind: str = ""
    status: str = ""
    parent: int | None = None  # the sub-tree of this org

    @classmethod
    def from_query(cls, params) -> OrgFilters:
        return cls(q=sqlfilter.text(params, "q", 100), kind=sqlfilter.choice(params, "kind", KINDS),
                   status=sqlfilter.choice(params, "status", STATUSES), parent=sqlfilter.number(params, "parent"))


SORTS = {"name": "o.name", "members": "members", "created": "o.created_at", "kind": "o.kind"}


async def list_orgs(actor: Actor, f: OrgFilters, req: PageRequest) -> Page:
    args: list = []
    where = sqlfilter.Where(args, scope_sql(actor, args))
    where.contains(("o.name", "o.slug", "o.region"), f.q)
    where.equals("o.kind", f.kind)
    where.equals("o.status", f.status)
    if f.parent:
        where.add(f"o.path LIKE (SELECT path FROM orgs_org WHERE id = {where.param(f.parent)}) || '%'")
    sql_where = where.sql()
    total = await db.fetchval(f"SELECT count(*) FROM orgs_org o WHERE {sql_where}", *args)
    rows = await db.fetch(
        f"SELECT o.id, o.name, o.slug, o.kind, o.status, o.region, o.join_rule, o.created_at, p.name AS parent_name,"
        f" n.name AS node_name,"
        f" (SELECT count(*) FROM orgs_member m WHERE m.org = o.id AND m.status = 'active') AS members,"
        f" (SELECT count(*) FROM orgs_join_request r WHERE r.org = o.id AND r.status = 'pending') AS pending"
        f" FROM orgs_org o LEFT JOIN orgs_org p ON p.id = o.parent LEFT JOIN org_node n ON n.id = o.node"
        f" WHERE {sql_where} {req.order_by(SORTS, 'o.path, o.sort, o.id').replace(', id', ', o.id')}"
        f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def tree(actor: Actor) -> list[dict]:
    """The orgs this actor may manage, nested (an org whose parent is out of scope is a root)."""
    args: list = []
    rows = await db.fetch(f"SELECT o.id, o.name, o.parent, o.status FROM orgs_org o WHERE {scope_sql(actor, args)}"
                          f" ORDER BY o.depth, o.sort, o.id", *args)
    return trees.nest(rows)


async def choices(actor: Actor, exclude: int | None = None) -> list[tuple[str, str]]:
    """Orgs in scope as (id, indented name), for the parent select."""
    args: list = [exclude]
    rows = await db.fetch(f"SELECT o.id, o.name, o.depth FROM orgs_org o WHERE {scope_sql(actor, args)}"
                          f" AND ($1::bigint IS NULL OR o.path NOT LIKE '%/' || $1::bigint || '/%') ORDER BY o.path",
                          *args)
    return [(str(r["id"]), "\u3000" * r["depth"] + r["name"]) for r in rows]


async def public_choices() -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT id, name, depth FROM orgs_org WHERE status = 'active' ORDER BY path")
    return [(str(r["id"]), "\u3000" * r["depth"] + r["name"]) for r in rows]


async def browse(q: str, kind: str, req: PageRequest) -> Page:
    """Active orgs for alumni to find (H5): name, region, member count."""
    args: list = []
    where = sqlfilter.Where(args, "o.status = 'active'")
    where.contains(("o.name", "o.region", "o.summary"), q)
    where.equals("o.kind", kind if kind in KINDS else "")
    total = await db.fetchval(f"SELECT count(*) FROM orgs_org o WHERE {where.sql()}", *args)
    rows = await db.fetch(
        f"SELECT o.id, o.name, o.slug, o.kind, o.region, o.summary, o.join_rule,"
        f" (SELECT count(*) FROM orgs_member m WHERE m.org = o.id AND m.status = 'active') AS members"
        f" FROM orgs_org o WHERE {where.sql()} ORDER BY o.path, o.sort LIMIT {req.per_page} OFFSET {req.offset}",
        *args)
    return Page(rows, total, req.page, req.per_page)


# --- create and edit ------------------------------------------------------------------------------------

def clean_slug(slug: str | None) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise Invalid("slug", _("Use 1–40 lower-case letters, digits and hyphens, starting with a letter or digit."))
    return slug


async def check_slug_free(slug: str, exclude: int | None = None) -> None:
    if await db.fetchval("SELECT 1 FROM orgs_org WHERE slug = $1 AND id IS DISTINCT FROM $2", slug, exclude):
        raise Invalid("slug", _("Another association already uses this address."))


def _choice(values: dict, key: str, allowed, default: str) -> str:
    value = values.get(key) or default
    if value not in allowed:
        raise Invalid(key, _("Choose from the list."))
    return value


def _clean(values: dict) -> dict:
    """Text trimmed, choices checked, the description sanitised."""
    out = dict(values)
    for key in ("name", "summary", "region", "contact_name", "phone", "email", "address"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "name" in out and not out["name"]:
        raise Invalid("name", _("This field is required."))
    if "kind" in out:
        out["kind"] = _choice(out, "kind", KINDS, "local")
    if "status" in out:
        out["status"] = _choice(out, "status", STATUSES, "active")
    if "join_rule" in out:
        out["join_rule"] = _choice(out, "join_rule", JOIN_RULES, "approval")
    if "join_requirement" in out:
        out["join_requirement"] = _choice(out, "join_requirement", REQUIREMENTS, "any")
    if "description" in out:
        out["description"] = content.sanitize_rich_html(out["description"] or "")
    if "founded" in out and out["founded"] is not None and not isinstance(out["founded"], date):
        raise Invalid("founded", _("Enter a date as YYYY-MM-DD."))
    if "event_approval" in out:
        out["event_approval"] = bool(out["event_approval"])
    if "sort" in out:
        out["sort"] = int(out["sort"] or 0)
    return out


async def _parent(actor: Actor, parent_id: int | None) -> dict | None:
    if not parent_id:
        return None
    try:
        parent = await get(int(parent_id))
    except NotFound:
        raise Invalid("parent", _("Choose from the list.")) from None
    if not may_manage(actor, parent):
        raise Invalid("parent", _("Choose a parent association inside your data scope."))
    return parent


async def _node(actor: Actor, node_id: int | None) -> dict | None:
    if not node_id:
        return None
    node = await db.fetchrow("SELECT id, path FROM org_node WHERE id = $1", int(node_id))
    if node is None or not actor.scope.allows(node["path"]):
        raise Invalid("node", _("Choose an org node inside your data scope."))
    return node


async def _new_node(actor: Actor, name: str, kind: str, parent: dict | None) -> int:
    """A node of the org tree for an org created without one: under the parent org's node, else the root."""
    from app.support import org_tree

    under = parent["node"] if parent and parent["node"] else await db.fetchval(
        "SELECT id FROM org_node WHERE parent IS NULL ORDER BY sort, id LIMIT 1")
    return await org_tree.create(actor, name=name, parent_id=under, kind=NODE_KINDS.get(kind, "branch"))


COLUMNS = ("name", "slug", "kind", "parent", "sort", "region", "founded", "summary", "description", "contact_name",
           "phone", "email", "address", "join_rule", "join_requirement", "event_approval", "status", "node")


async def create(actor: Actor, values: dict) -> int:
    """HQ creates an association (or approves an application); returns its id."""
    if not actor.can(ADMIN):
        raise PermissionDenied()
    v = _clean({k: values.get(k) for k in COLUMNS})
    v["slug"] = clean_slug(v["slug"])
    v.setdefault("sort", 0)
    v["sort"] = v["sort"] or 0
    v["event_approval"] = bool(values.get("event_approval", True))
    async with db.transaction():
        await check_slug_free(v["slug"])
        parent = await _parent(actor, v["parent"])
        if parent is None and not actor.scope.all:
            raise Invalid("parent", _("Choose a parent association inside your data scope."))
        node = await _node(actor, v["node"])
        v["parent"] = parent["id"] if parent else None
        v["node"] = node["id"] if node else await _new_node(actor, v["name"], v["kind"], parent)
        cols = list(COLUMNS)
        org_id = await db.fetchval(
            f"INSERT INTO orgs_org ({', '.join(cols)}, depth, created_by, updated_by) VALUES"
            f" ({', '.join(f'${i + 1}' for i in range(len(cols)))}, ${len(cols) + 1}, ${len(cols) + 2},"
            f" ${len(cols) + 2}) RETURNING id", *[v[c] for c in cols], (parent["depth"] + 1) if parent else 0,
            actor.id)
        await db.execute("UPDATE orgs_org SET path = $2 WHERE id = $1", org_id,
                         f"{parent['path'] if parent else '/'}{org_id}/")
        await audit.record(actor, "create", "orgs_org", org_id, after=v, summary=v["name"], org_id=v["node"])
    return org_id


async def update(actor: Actor, org_id: int, values: dict) -> list[str]:
    """The profile (an org admin) and, for HQ, name, address, kind, parent, status and node; returns what changed."""
    async with db.transaction():
        before = await for_manager(actor, org_id)
        allowed = PROFILE_FIELDS + (HQ_FIELDS if may_administer(actor, before) else ())
        v = _clean({k: values[k] for k in allowed if k in values})
        if "slug" in v:
            v["slug"] = clean_slug(v["slug"])
            await check_slug_free(v["slug"], org_id)
        if "parent" in v:
            parent = await _parent(actor, v["parent"])
            if parent and parent["path"].startswith(before["path"]):
                raise Invalid("parent", _("An association cannot move under itself or its own sub-associations."))
            if parent is None and before["parent"] is not None and not actor.scope.all:
                raise Invalid("parent", _("Choose a parent association inside your data scope."))
            v["parent"] = parent["id"] if parent else None
        if "node" in v:
            node = await _node(actor, v["node"])
            v["node"] = node["id"] if node else before["node"]
        changed = [k for k in v if v[k] != before[k]]
        if not changed:
            return []
        sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changed))
        await db.execute(f"UPDATE orgs_org SET {sets}, updated_at = now(), updated_by = ${len(changed) + 2}"
                         f" WHERE id = $1", org_id, *[v[k] for k in changed], actor.id)
        if "parent" in changed:
            await _move(org_id, before, parent)
        await audit.record(actor, "update", "orgs_org", org_id, before={k: before[k] for k in changed},
                           after={k: v[k] for k in changed}, summary=before["name"], org_id=before["node"])
        if "node" in changed:
            await admins.rescope(actor, org_id)
    for prefix in (SITE_CACHE, ROW_CACHE):  # this process's cached copies (other processes' expire by TTL)
        cache.forget_prefix(prefix)
    return changed


async def _move(org_id: int, before: dict, parent: dict | None) -> None:
    new_path = f"{parent['path'] if parent else '/'}{org_id}/"
    delta = ((parent["depth"] + 1) if parent else 0) - before["depth"]
    await db.execute("UPDATE orgs_org SET path = $2 || substr(path, length($1) + 1), depth = depth + $3"
                     " WHERE path LIKE $1 || '%'", before["path"], new_path, delta)


async def set_logo(actor: Actor, org_id: int, filename: str, data: bytes) -> None:
    """The logo: a real image (type, size, content checked) stored through the storage adapter."""
    stored = await uploads.save(filename, data, images_only=True, field="logo")
    async with db.transaction():
        org = await for_manager(actor, org_id)
        await db.execute("UPDATE orgs_org SET logo = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         org_id, stored.key, actor.id)
        await audit.record(actor, "update", "orgs_org", org_id, summary="logo", before={"logo": org["logo"]},
                           after={"logo": stored.key}, org_id=org["node"])


def logo_bytes(org: dict) -> tuple[bytes, str] | None:
    """The stored logo and its content type, or None."""
    key = org.get("logo") or ""
    if not key or not storage().exists(key):
        return None
    data = storage().get(key)
    ext = key.rsplit(".", 1)[-1].lower()
    content_type = next((ct for magic, exts, ct in uploads.SIGNATURES if ext in exts and data.startswith(magic)),
                        "application/octet-stream")
    return data, content_type

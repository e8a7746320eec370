"""The class spaces themselves (CLS-01/02): natural keys, one class with what its pages need, who may see and
manage it, the admin list (data-scoped by the class's college or class node) and the alumni's own classes.

Who may do what with a class:
- its *managers*: holders of `classes.manage` whose data scope covers the class's org node (its class node,
  else its college), and its liaisons (classes_liaison) — they decide join/leave requests and moderate;
- its *members* (classes_member, status active): see the space, post, and classmates' contacts once their
  own profile is complete (roster.py);
- staff with `classes.view` in scope see the admin pages."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import audit, db, sqlfilter
from app.core.audit import Actor
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied

STATUSES = {"active": L("Active"), "stale": L("No longer in the records")}
SOURCES = {"records": L("From the records"), "applied": L("Applied for by an alumnus")}
SORTS = {"name": "c.name", "year": "c.entry_year", "members": "members", "score": "score", "id": "c.id"}
ENTITY = "classes_class"


class NotFound(Exception):
    """No such class (or not one this viewer may open: the same answer)."""


def node_key(class_node: int) -> str:
    return f"node:{class_node}"


def name_key(college: int, entry_year: int, normalised_name: str) -> str:
    return f"name:{college}:{entry_year}:{normalised_name}"


CLASS_SQL = ("SELECT c.*, col.name AS college_name, o.path AS org_path, o.id AS org_id,"
             " (SELECT count(*) FROM classes_member m WHERE m.class_id = c.id AND m.status = 'active') AS members,"
             " s.score, s.rank FROM classes_class c LEFT JOIN org_node col ON col.id = c.college"
             " LEFT JOIN org_node o ON o.id = COALESCE(c.class_node, c.college)"
             " LEFT JOIN classes_cohesion_score s ON s.class_id = c.id")


async def get(class_id: int) -> dict:
    row = await db.fetchrow(f"{CLASS_SQL} WHERE c.id = $1", class_id)
    if row is None:
        raise NotFound(class_id)
    return row


async def is_member(user_id: int | None, class_id: int) -> bool:
    return bool(user_id) and bool(await db.fetchval(
        "SELECT 1 FROM classes_member WHERE class_id = $1 AND \"user\" = $2 AND status = 'active'", class_id, user_id))


async def is_liaison(user_id: int | None, class_id: int) -> bool:
    return bool(user_id) and bool(await db.fetchval(
        'SELECT 1 FROM classes_liaison WHERE class_id = $1 AND "user" = $2', class_id, user_id))


def in_scope(actor: Actor | None, klass: dict, permission: str = "classes.manage") -> bool:
    """Staff holding `permission` whose data scope covers the class's org node (class node, else college)."""
    return actor is not None and actor.can(permission) and actor.scope.allows(klass.get("org_path"))


async def can_manage(actor: Actor | None, klass: dict) -> bool:
    return in_scope(actor, klass) or (actor is not None and await is_liaison(actor.id, klass["id"]))


async def can_view(actor: Actor | None, klass: dict) -> bool:
    """The space's inside (roster, stories, posts, albums): members, liaisons and staff in scope."""
    if actor is None or actor.id is None:
        return False
    return (in_scope(actor, klass, "classes.view") or in_scope(actor, klass) or await is_member(actor.id, klass["id"])
            or await is_liaison(actor.id, klass["id"]))


async def ensure_manage(actor: Actor, klass: dict, action: str) -> None:
    """403 for anyone who is neither a liaison of this class nor its college's admin; the refusal is audited
    (another class's id typed into a URL is worth knowing about)."""
    if not await can_manage(actor, klass):
        await audit.record(actor, "denied", ENTITY, klass["id"], summary=f"{action}: {klass['name']}"[:300],
                           org_id=klass.get("org_id"))
        raise PermissionDenied()


async def managed_ids(actor: Actor) -> list[int] | None:
    """The classes this actor manages: None = every class (classes.manage over all data), else the ids of
    the classes in their scope plus those they are a liaison of."""
    if actor.can("classes.manage") and actor.scope.all:
        return None
    ids = {r["class_id"] for r in await db.fetch('SELECT class_id FROM classes_liaison WHERE "user" = $1',
                                                 actor.id or 0)}
    if actor.can("classes.manage"):
        args: list = []
        scope = actor.scope.sql("COALESCE(c.class_node, c.college)", None, args)
        ids |= {r["id"] for r in await db.fetch(f"SELECT c.id FROM classes_class c WHERE {scope}", *args)}
    return sorted(ids)


# --- the admin list -----------------------------------------------------------------------------------

@dataclass
class ClassFilters:
    q: str = ""
    college: int | None = None
    entry_year: int | None = None
    status: str = ""
    source: str = ""

    @classmethod
    def from_query(cls, params) -> ClassFilters:
        return cls(q=sqlfilter.text(params, "q", 100), college=sqlfilter.number(params, "college"),
                   entry_year=sqlfilter.number(params, "entry_year"),
                   status=sqlfilter.choice(params, "status", tuple(STATUSES)),
                   source=sqlfilter.choice(params, "source", tuple(SOURCES)))


def _where(actor: Actor, f: ClassFilters, args: list) -> sqlfilter.Where:
    where = sqlfilter.Where(args, actor.scope.sql("COALESCE(c.class_node, c.college)", None, args))
    where.contains("c.name", f.q)
    where.equals("c.college", f.college)
    where.equals("c.entry_year", f.entry_year)
    where.equals("c.status", f.status)
    where.equals("c.source", f.source)
    return where


async def list_classes(actor: Actor, f: ClassFilters, req: PageRequest) -> Page:
    args: list = []
    where = _where(actor, f, args).sql()
    total = await db.fetchval(f"SELECT count(*) FROM classes_class c WHERE {where}", *args)
    order = req.order_by(SORTS, "c.entry_year DESC NULLS LAST, c.name, c.id").replace(", id", ", c.id")
    rows = await db.fetch(f"SELECT * FROM ({CLASS_SQL} WHERE {where}) c {order}"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def college_choices(actor: Actor | None = None) -> list[tuple[str, str]]:
    """The colleges (org nodes of kind college) as select options; within the actor's scope when given."""
    args: list = []
    scope = actor.scope.sql("n.id", None, args) if actor is not None else "TRUE"
    rows = await db.fetch(f"SELECT n.id, n.name FROM org_node n WHERE n.kind = 'college' AND n.enabled"
                          f" AND {scope} ORDER BY n.sort, n.id", *args)
    return [(str(r["id"]), r["name"]) for r in rows]


# --- the alumni's side --------------------------------------------------------------------------------

async def my_classes(user_id: int) -> list[dict]:
    """The classes this user is a member or liaison of."""
    return await db.fetch(
        f"{CLASS_SQL} WHERE c.id IN (SELECT class_id FROM classes_member WHERE \"user\" = $1 AND status = 'active'"
        f" UNION SELECT class_id FROM classes_liaison WHERE \"user\" = $1) ORDER BY c.entry_year DESC NULLS LAST,"
        f" c.name", user_id)


async def find(q: str, college: int | None, entry_year: int | None, page: int = 1, per_page: int = 20) -> Page:
    """Classes an alumnus may ask to join: active ones, by name, college and entry year."""
    args: list = []
    where = sqlfilter.Where(args, "c.status = 'active'")
    where.contains("c.name", (q or "").strip()[:100])
    where.equals("c.college", college)
    where.equals("c.entry_year", entry_year)
    sql = where.sql()
    total = await db.fetchval(f"SELECT count(*) FROM classes_class c WHERE {sql}", *args)
    rows = await db.fetch(f"{CLASS_SQL} WHERE {sql} ORDER BY c.entry_year DESC NULLS LAST, c.name, c.id"
                          f" LIMIT {per_page} OFFSET {(page - 1) * per_page}", *args)
    return Page(rows, total, page, per_page)

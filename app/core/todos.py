"""Todo inbox (SUP-06): any module opens a todo for "whoever holds permission X in data scope of
org Y"; acting on the underlying item closes it. The workbench lists them.

Opening a new todo notifies those users (inbox + email, template "todo_assigned"); the scheduled job
"todos.remind" notifies them again for todos left open over a day, at most once a day."""
from __future__ import annotations

from app.config import get_settings
from app.core import db, jobs, notify, sessions
from app.core.pagination import Page, PageRequest
from app.core.permissions import CurrentUser

REMIND_AFTER_HOURS = 24
NOTIFY_CHANNELS = ("inbox", "email")

# Users for whom a todo (permission, org) is visible — the same rule as _visible_sql, in SQL over
# roles: the permission from any role, and any role's data scope covering the org (or no org).
_USERS_FOR_SQL = """
SELECT u.id FROM app_user u LEFT JOIN org_node uo ON uo.id = u.org
WHERE u.is_active AND (u.is_superuser OR (
  EXISTS (SELECT 1 FROM user_role ur JOIN role r ON r.id = ur.role WHERE ur."user" = u.id AND $1 = ANY(r.permissions))
  AND ($2::bigint IS NULL OR EXISTS (
    SELECT 1 FROM user_role ur JOIN role r ON r.id = ur.role LEFT JOIN org_node so ON so.id = r.scope_org
    WHERE ur."user" = u.id AND (
      r.data_scope = 'all'
      OR (r.data_scope = 'subtree' AND (SELECT path FROM org_node WHERE id = $2) LIKE COALESCE(so.path, uo.path) || '%')
      OR (r.data_scope = 'org' AND $2 = COALESCE(r.scope_org, u.org)
          AND EXISTS (SELECT 1 FROM org_node WHERE id = $2))
    )))
))
ORDER BY u.id
"""


async def users_for(permission: str, org_id: int | None) -> list[int]:
    """Active users who hold `permission` and whose data scope covers `org_id`; superusers included."""
    return [r["id"] for r in await db.fetch(_USERS_FOR_SQL, permission, org_id)]


def _link(url: str) -> str:
    return f"{get_settings().public_url()}{url}" if url.startswith("/") else url


async def _notify(user_ids: list[int], kind: str, title: str, url: str) -> int:
    if not user_ids:
        return 0
    data = {"title": title, "link": _link(url), "url": url, "kind": kind}
    return await notify.notify(user_ids, "todo_assigned", data, channels=NOTIFY_CHANNELS, url=url)


async def open_todo(kind: str, ref: str, title: str, url: str, permission: str, org_id: int | None = None,
                    notify_users: bool = True) -> int:
    """Idempotent per ref: an item already waiting keeps its one open todo (and nobody is notified twice)."""
    row = await db.fetchrow(
        "INSERT INTO todo (kind, ref, title, url, permission, org_id) VALUES ($1,$2,$3,$4,$5,$6) "
        "ON CONFLICT (ref) WHERE status = 'open' DO UPDATE SET title = EXCLUDED.title "
        "RETURNING id, (xmax = 0) AS inserted",  # xmax = 0: the row was inserted, not updated
        kind, ref, title, url, permission, org_id)
    if row["inserted"]:
        await sessions.shell_changed()  # todo counts follow permissions and scope: everyone's may change
    if row["inserted"] and notify_users:
        await _notify(await users_for(permission, org_id), kind, title, url)
    return row["id"]


async def close_todo(ref: str, actor_id: int | None) -> bool:
    status = await db.execute("UPDATE todo SET status = 'done', done_at = now(), done_by = $2 "
                              "WHERE ref = $1 AND status = 'open'", ref, actor_id)
    if status.endswith(" 1"):
        await sessions.shell_changed()
    return status.endswith(" 1")


def _visible_sql(user: CurrentUser, args: list) -> str:
    if user.is_superuser:
        perm = "TRUE"
    else:
        args.append(list(user.perms))
        perm = f"permission = ANY(${len(args)})"
    scope = user.scope.sql("org_id", None, args)
    return f"{perm} AND (org_id IS NULL OR {scope})"


async def count_open(user: CurrentUser) -> int:
    args: list = []
    return await db.fetchval(f"SELECT count(*) FROM todo WHERE status = 'open' AND {_visible_sql(user, args)}", *args)


async def list_todos(user: CurrentUser, status: str, kind: str, req: PageRequest) -> Page:
    args: list = [status if status in ("open", "done") else "open"]
    where = f"status = $1 AND {_visible_sql(user, args)}"
    if kind:
        args.append(kind)
        where += f" AND kind = ${len(args)}"
    total = await db.fetchval(f"SELECT count(*) FROM todo WHERE {where}", *args)
    items = await db.fetch(f"SELECT * FROM todo WHERE {where} ORDER BY created_at DESC, id DESC "
                           f"LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page)


async def kinds() -> list[str]:
    return [r["kind"] for r in await db.fetch("SELECT DISTINCT kind FROM todo ORDER BY kind")]


# --- reminders (SUP-06) -------------------------------------------------------------------------------

jobs.schedule("todos.remind", "todos.remind", 3600)


@jobs.handler("todos.remind")
async def remind_open_todos(ctx: jobs.JobContext) -> dict:
    """Notify again for todos open longer than a day, at most once a day each.

    Each todo is claimed by moving its remind_at in the same transaction as its notifications, so a
    rerun (a worker died, two workers) never reminds twice."""
    due = await db.fetch(
        "SELECT id FROM todo WHERE status = 'open' AND created_at < now() - make_interval(hours => $1) "
        "AND (remind_at IS NULL OR remind_at < now() - make_interval(hours => $1)) ORDER BY id", REMIND_AFTER_HOURS)
    audience: dict[tuple[str, int | None], list[int]] = {}  # one users_for query per (permission, org)
    reminded = messages = 0
    for done, item in enumerate(due, 1):
        async with db.transaction():
            todo = await db.fetchrow(
                "UPDATE todo SET remind_at = now() WHERE id = $1 AND status = 'open' "
                "AND (remind_at IS NULL OR remind_at < now() - make_interval(hours => $2)) "
                "RETURNING kind, title, url, permission, org_id", item["id"], REMIND_AFTER_HOURS)
            if todo is not None:
                key = (todo["permission"], todo["org_id"])
                if key not in audience:
                    audience[key] = await users_for(*key)
                messages += await _notify(audience[key], todo["kind"], todo["title"], todo["url"])
                reminded += 1
        await ctx.progress(done, len(due))
    return {"reminded": reminded, "messages": messages}

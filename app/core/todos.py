"""Todo inbox (SUP-06): any module opens a todo for "whoever holds permission X in data scope of
org Y"; acting on the underlying item closes it. The workbench lists them."""
from __future__ import annotations

from app.core import db
from app.core.pagination import Page, PageRequest
from app.core.permissions import CurrentUser


async def open_todo(kind: str, ref: str, title: str, url: str, permission: str, org_id: int | None = None) -> int:
    """Idempotent per ref: an item already waiting keeps its one open todo."""
    row = await db.fetchrow(
        "INSERT INTO todo (kind, ref, title, url, permission, org_id) VALUES ($1,$2,$3,$4,$5,$6) "
        "ON CONFLICT (ref) WHERE status = 'open' DO UPDATE SET title = EXCLUDED.title RETURNING id",
        kind, ref, title, url, permission, org_id)
    return row["id"]


async def close_todo(ref: str, actor_id: int | None) -> bool:
    status = await db.execute("UPDATE todo SET status = 'done', done_at = now(), done_by = $2 "
                              "WHERE ref = $1 AND status = 'open'", ref, actor_id)
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

"""Big print batches (MALL-07, > printing.INLINE_MAX orders) run here: one render in a worker thread
(the job keeps its lease meanwhile), the PDF waits in storage for the requester. Like export jobs, a
print job (names, phones, addresses) is its requester's: others see and download it only with SEE_ALL."""
from __future__ import annotations

import anyio

from app.core import db, imports, jobs
from app.core.audit import Actor
from app.core.pagination import Page, PageRequest
from app.core.storage import storage
from app.mall import printing

KIND = "mall.print"
SEE_ALL = "mall.print.all"  # see and download everyone's print jobs (superusers have it implicitly)


@jobs.handler(KIND)
async def print_orders(ctx: jobs.JobContext) -> dict:
    job = await jobs.get(ctx.id)
    actor = await imports.actor_for(job["created_by"], "")  # the requester's rights (and scope) as of now
    ids, kind = printing.parse_ids(ctx.payload.get("ids")), ctx.payload.get("kind", "")
    await ctx.progress(0, len(ids), "loading")
    context = await printing.context(actor, ids, kind)
    await ctx.progress(len(context["orders"]) // 10, len(ids), "rendering")
    data = await anyio.to_thread.run_sync(printing.render_sync, context)
    key = f"prints/mall-{ctx.id}.pdf"
    storage().put(key, data)
    await printing.audit_print(actor, kind, context["orders"])
    return {"key": key, "filename": printing.filename(kind, context["orders"]), "count": len(context["orders"]),
            "bytes": len(data)}


async def start(user_id: int, ids: list[int], kind: str) -> int:
    printing.check(ids, kind)
    return await jobs.enqueue(KIND, {"ids": ids, "kind": kind}, created_by=user_id, max_attempts=2)


def _mine_sql(actor: Actor, args: list) -> str:
    """Everyone's jobs with SEE_ALL; otherwise only the ones this actor started (in the SQL, not after)."""
    if actor.can(SEE_ALL):
        return "TRUE"
    args.append(actor.id)
    return f"j.created_by = ${len(args)}"


async def get(actor: Actor, job_id: int) -> dict | None:
    """The print job, or None when it is missing or someone else's (unless the actor has SEE_ALL)."""
    job = await jobs.get(job_id)
    if job is None or job["kind"] != KIND:
        return None
    return job if actor.can(SEE_ALL) or job["created_by"] == actor.id else None


async def list_jobs(actor: Actor, req: PageRequest) -> Page:
    args: list = [KIND]
    where = f"j.kind = $1 AND {_mine_sql(actor, args)}"
    total = await db.fetchval(f"SELECT count(*) FROM job j WHERE {where}", *args)
    rows = await db.fetch(
        f"SELECT j.*, u.name AS user_name FROM job j LEFT JOIN app_user u ON u.id = j.created_by WHERE {where}"
        f" ORDER BY j.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page)

"""Big print batches (MALL-07, > printing.INLINE_MAX orders) run here: one render in a worker thread
(the job keeps its lease meanwhile), the PDF waits in storage for the requester."""
from __future__ import annotations

import anyio

from app.adapters.storage import storage
from app.core import db, imports, jobs
from app.core.pagination import Page, PageRequest
from app.mall import printing

KIND = "mall.print"


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


async def get(job_id: int) -> dict | None:
    job = await jobs.get(job_id)
    return job if job and job["kind"] == KIND else None


async def list_jobs(req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM job WHERE kind = $1", KIND)
    rows = await db.fetch(
        "SELECT j.*, u.name AS user_name FROM job j LEFT JOIN app_user u ON u.id = j.created_by WHERE j.kind = $1"
        f" ORDER BY j.id DESC LIMIT {req.per_page} OFFSET {req.offset}", KIND)
    return Page(rows, total, req.page, req.per_page)

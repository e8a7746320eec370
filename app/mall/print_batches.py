"""Big print batches (MALL-07): more than printing.INLINE_MAX orders print as a background job — one
render in a worker thread (the job keeps its lease meanwhile), the PDF waits in storage for the requester.
Like export jobs, a batch (names, phones, addresses) is its requester's: others see and download it only
with SEE_ALL. The job handler is app/mall/jobs.py; it calls run()."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import anyio

from app.core import db, imports, jobs
from app.core.audit import Actor
from app.core.pagination import Page, PageRequest
from app.core.storage import storage
from app.mall import printing

KIND = "mall.print"
SEE_ALL = "mall.print.all"  # see and download everyone's print jobs (superusers have it implicitly)


async def start(user_id: int, ids: list[int], kind: str) -> int:
    """Checks the request now (a refused batch is never queued) and queues it; the job id."""
    printing.check(ids, kind)
    return await jobs.enqueue(KIND, {"ids": ids, "kind": kind}, created_by=user_id, max_attempts=2)


async def run(job_id: int, payload: dict, progress: Callable[[int, int | None, str], Awaitable[None]]) -> dict:
    """The job's work: render the batch with the requester's rights (and scope) as of now, store the PDF."""
    job = await jobs.get(job_id)
    actor = await imports.actor_for(job["created_by"], "")
    ids, kind = printing.parse_ids(payload.get("ids")), payload.get("kind", "")
    await progress(0, len(ids), "loading")
    context = await printing.context(actor, ids, kind)
    await progress(len(context["orders"]) // 10, len(ids), "rendering")
    data = await anyio.to_thread.run_sync(printing.render_sync, context)
    key = f"prints/mall-{job_id}.pdf"
    storage().put(key, data)
    await printing.audit_print(actor, kind, context["orders"])
    return {"key": key, "filename": printing.filename(kind, context["orders"]), "count": len(context["orders"]),
            "bytes": len(data)}


def _mine_sql(actor: Actor, args: list) -> str:
    """Everyone's jobs with SEE_ALL; otherwise only the ones this actor started (in the SQL, not after)."""
    if actor.can(SEE_ALL):
        return "TRUE"
    args.append(actor.id)
    return f"j.created_by = ${len(args)}"


def _decoded(job: dict) -> dict:
    """payload and result as dicts (the job table keeps them as json)."""
    for key in ("payload", "result"):
        if isinstance(job.get(key), str):
            job[key] = json.loads(job[key])
    return job


async def get(actor: Actor, job_id: int) -> dict | None:
    """The print job, or None when it is missing or someone else's (unless the actor has SEE_ALL)."""
    job = await jobs.get(job_id)
    if job is None or job["kind"] != KIND:
        return None
    return _decoded(job) if actor.can(SEE_ALL) or job["created_by"] == actor.id else None


async def list_for(actor: Actor, req: PageRequest) -> Page:
    """The print jobs this actor may see, newest first, with the requester's name."""
    args: list = [KIND]
    where = f"j.kind = $1 AND {_mine_sql(actor, args)}"
    total = await db.fetchval(f"SELECT count(*) FROM job j WHERE {where}", *args)
    rows = await db.fetch(
        f"SELECT j.*, u.name AS user_name FROM job j LEFT JOIN app_user u ON u.id = j.created_by WHERE {where}"
        f" ORDER BY j.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_decoded(row) for row in rows], total, req.page, req.per_page)

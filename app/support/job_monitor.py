"""Background jobs as users see them: list, progress, retry a failed job, cancel a queued one, and the
recurring schedules (enable/disable). A non-superuser sees only the jobs they started."""
from __future__ import annotations

import json

from app.core import audit, db, jobs
from app.core.audit import Actor
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied

STATUSES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
COLUMNS = ("j.id, j.kind, j.status, j.progress, j.total, j.message, j.attempts, j.max_attempts, j.run_at, "
           "j.created_by, j.created_at, j.started_at, j.finished_at, u.username AS created_by_name")
# Sort keys → columns of the listing (an outer query over the join, so "id" is unambiguous).
SORTS = {"id": "id", "kind": "kind", "status": "status", "created": "created_at", "attempts": "attempts"}


def _own_sql(actor: Actor, args: list) -> str:
    """Superusers see every job; everyone else only what they started."""
    if actor.is_superuser:
        return "TRUE"
    args.append(actor.id)
    return f"j.created_by = ${len(args)}"


async def list_jobs(actor: Actor, status: str, kind: str, req: PageRequest) -> Page:
    args: list = []
    where = _own_sql(actor, args)
    if status in STATUSES:
        args.append(status)
        where += f" AND j.status = ${len(args)}"
    if kind:
        args.append(kind)
        where += f" AND j.kind = ${len(args)}"
    total = await db.fetchval(f"SELECT count(*) FROM job j WHERE {where}", *args)
    order = req.order_by(SORTS, "created_at DESC, id DESC")
    items = await db.fetch(f"SELECT * FROM (SELECT {COLUMNS} FROM job j LEFT JOIN app_user u ON u.id = j.created_by "
                           f"WHERE {where}) listed {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page, req.sort)


async def kinds(actor: Actor) -> list[str]:
    args: list = []
    return [r["kind"] for r in await db.fetch(f"SELECT DISTINCT j.kind FROM job j WHERE {_own_sql(actor, args)} "
                                              "ORDER BY 1", *args)]


def _decoded(value):
    return json.loads(value) if isinstance(value, str) else value


async def get_job(actor: Actor, job_id: int) -> dict | None:
    """The job with its result and error (None when missing); another user's job is PermissionDenied."""
    row = await db.fetchrow(f"SELECT {COLUMNS}, j.payload, j.result, j.error FROM job j "
                            "LEFT JOIN app_user u ON u.id = j.created_by WHERE j.id = $1", job_id)
    if row is None:
        return None
    if not actor.is_superuser and row["created_by"] != actor.id:
        raise PermissionDenied()
    row["payload"], row["result"] = _decoded(row["payload"]), _decoded(row["result"])
    row["percent"] = min(100, round(100 * row["progress"] / row["total"])) if row["total"] else (
        100 if row["status"] == "done" else 0)
    row["active"] = row["status"] in ACTIVE
    return row


async def _locked(actor: Actor, job_id: int) -> dict:
    row = await db.fetchrow("SELECT id, kind, status, attempts, created_by, error FROM job WHERE id = $1 FOR UPDATE",
                            job_id)
    if row is None:
        raise Conflict(_("This job does not exist."))
    if not actor.is_superuser and row["created_by"] != actor.id:
        raise PermissionDenied()
    return row


async def retry(actor: Actor, job_id: int) -> None:
    """A failed job goes back to the queue with fresh attempts (its handler is idempotent)."""
    async with db.transaction():
        before = await _locked(actor, job_id)
        if before["status"] != "failed":
            raise Conflict(_("Only a failed job can be retried."))
        await db.execute("UPDATE job SET status = 'queued', attempts = 0, run_at = now(), error = '', "
                         "finished_at = NULL, locked_by = '', locked_until = NULL WHERE id = $1", job_id)
        await audit.record(actor, "retry", "job", job_id, before={"status": "failed", "attempts": before["attempts"]},
                           after={"status": "queued", "attempts": 0}, summary=before["kind"])
    await db.execute(f"NOTIFY {jobs.NOTIFY_CHANNEL}")


async def cancel(actor: Actor, job_id: int) -> None:
    """Only a job still waiting in the queue can be cancelled (a running one is already being worked on)."""
    async with db.transaction():
        before = await _locked(actor, job_id)
        if before["status"] != "queued":
            raise Conflict(_("Only a queued job can be cancelled."))
        await db.execute("UPDATE job SET status = 'cancelled', finished_at = now() WHERE id = $1", job_id)
        await audit.record(actor, "cancel", "job", job_id, before={"status": "queued"},
                           after={"status": "cancelled"}, summary=before["kind"])


async def list_schedules() -> list[dict]:
    return await db.fetch("SELECT id, name, kind, interval_seconds, next_run_at, last_run_at, enabled "
                          "FROM job_schedule ORDER BY name")


async def set_schedule_enabled(actor: Actor, schedule_id: int, enabled: bool) -> dict:
    async with db.transaction():
        before = await db.fetchrow("SELECT id, name, enabled FROM job_schedule WHERE id = $1 FOR UPDATE", schedule_id)
        if before is None:
            raise Conflict(_("This schedule does not exist."))
        await db.execute("UPDATE job_schedule SET enabled = $2 WHERE id = $1", schedule_id, enabled)
        await audit.record(actor, "enable" if enabled else "disable", "job_schedule", schedule_id,
                           before={"enabled": before["enabled"]}, after={"enabled": enabled}, summary=before["name"])
    return before

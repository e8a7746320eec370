"""Reading batches and their rows (pages, duplicates, preview, job state) and the chunked reads and
count refresh the other phases share; also the one edit before commit: the choice per duplicate row."""
from __future__ import annotations

import json
from typing import Any

from app.core import audit, db, jobs
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.imports.specs import choices_for, get_spec, ready, spec_for
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied

CHUNK = 200  # rows per chunk read (the commit of specs without `create_many` reads it at call time)
ROW_STATUSES = ("ok", "error", "imported", "skipped", "rolled_back")


def decode_json(value: Any) -> Any:
    """A jsonb value read from import_batch/import_row, whether it arrives as text or decoded."""
    return json.loads(value) if isinstance(value, str) else value


async def get_batch(batch_id: int, actor: Actor) -> dict:
    """A batch its creator (or a superuser) may see; LookupError when missing."""
    row = await db.fetchrow("SELECT * FROM import_batch WHERE id = $1", batch_id)
    if row is None:
        raise LookupError(batch_id)
    if not (actor.is_superuser or (row["created_by"] is not None and row["created_by"] == actor.id)):
        raise PermissionDenied()
    await ready(spec_for(row["kind"], actor))
    row["headers"], row["mapping"] = decode_json(row["headers"]), decode_json(row["mapping"])
    counts = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE data ? 'dup' AND status = 'ok') AS duplicates, "
        "count(*) FILTER (WHERE status = 'skipped') AS skipped, "
        "count(*) FILTER (WHERE status = 'imported' AND data->>'action' = 'updated') AS updated "
        "FROM import_row WHERE batch = $1", batch_id)
    row.update(counts)
    return row


async def list_batches(actor: Actor, kind: str, req: PageRequest) -> Page:
    where, args = "b.kind = $1 AND ($2 OR b.created_by = $3)", [kind, actor.is_superuser, actor.id]
    total = await db.fetchval(f"SELECT count(*) FROM import_batch b WHERE {where}", *args)
    items = await db.fetch(f"SELECT b.*, u.username AS creator FROM import_batch b LEFT JOIN app_user u "
                           f"ON u.id = b.created_by WHERE {where} ORDER BY b.id DESC "
                           f"LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page, req.sort)


async def list_rows(batch_id: int, status: str, req: PageRequest) -> Page:
    """Rows of a batch; status is a row status or "duplicate" (valid rows matching an existing record)."""
    dup = status == "duplicate"
    status = status if status in ROW_STATUSES else None
    where = f"batch = $1 AND ($2::text IS NULL OR status = $2){' AND data ? $3' if dup else ''}"
    args = [batch_id, status, *(["dup"] if dup else [])]
    total = await db.fetchval(f"SELECT count(*) FROM import_row WHERE {where}", *args)
    items = await db.fetch(f"SELECT id, row_no, data, errors, status, entity_id FROM import_row WHERE {where} "
                           f"ORDER BY row_no LIMIT {req.per_page} OFFSET {req.offset}", *args)
    for item in items:
        data = decode_json(item.pop("data"))
        item["cells"] = data["cells"]
        item["dup"], item["choice"], item["action"] = data.get("dup"), data.get("choice"), data.get("action")
        item["errors"] = decode_json(item["errors"])
    return Page(items, total, req.page, req.per_page)


async def duplicate_rows(batch_id: int, limit: int = 200) -> list[dict]:
    """Valid rows matching an existing record, for the per-row choice form (the rest: "apply to all")."""
    rows = await db.fetch("SELECT id, row_no, data FROM import_row WHERE batch = $1 AND status = 'ok' AND data ? 'dup' "
                          "ORDER BY row_no LIMIT $2", batch_id, limit)
    return [{"id": r["id"], "row_no": r["row_no"], "dup": decode_json(r["data"])["dup"],
             "choice": decode_json(r["data"]).get("choice") or "skip"} for r in rows]


async def set_duplicate_choices(batch_id: int, choices: dict[int, str], actor: Actor, apply_all: str = "") -> int:
    """Save skip/overwrite/merge per duplicate row (or for all of them); returns the rows changed."""
    batch = await get_batch(batch_id, actor)
    if batch["status"] not in ("uploaded", "validated"):
        raise Conflict(_("This import has already been committed; upload the file again to change it."))
    allowed = choices_for(get_spec(batch["kind"]))
    if apply_all:
        if apply_all not in allowed:
            raise Invalid("apply_all", _("Choose what to do with the duplicates."))
        ids = [r["id"] for r in await db.fetch("SELECT id FROM import_row WHERE batch = $1 AND data ? 'dup'",
                                               batch_id)]
        picked = {i: apply_all for i in ids}
    else:
        picked = {int(i): c for i, c in choices.items() if c in allowed}
    async with db.transaction():
        changed = await db.fetch(
            "UPDATE import_row r SET data = jsonb_set(r.data, '{choice}', to_jsonb(x.c)) FROM unnest($2::bigint[], "
            "$3::text[]) AS x(id, c) WHERE r.id = x.id AND r.batch = $1 AND r.data ? 'dup' AND r.status = 'ok' "
            "AND r.data->>'choice' IS DISTINCT FROM x.c RETURNING r.id", batch_id, list(picked), list(picked.values()))
        summary = f"duplicates: {len(changed)} choices" + (f" ({apply_all} for all)" if apply_all else "")
        await audit.record(actor, "update", "import_batch", batch_id, summary=summary)
    return len(changed)


async def preview(batch_id: int, limit: int = 5) -> list[list]:
    rows = await db.fetch("SELECT data FROM import_row WHERE batch = $1 ORDER BY row_no LIMIT $2", batch_id, limit)
    return [decode_json(r["data"])["cells"] for r in rows]


async def job_state(batch: dict) -> dict | None:
    """The commit job's progress for the report page."""
    return await jobs.get(batch["job_id"]) if batch.get("job_id") else None


async def refresh_counts(batch_id: int) -> None:
    await db.execute(
        "UPDATE import_batch b SET total = c.total, error_count = c.errors, ok_count = c.total - c.errors, "
        "imported_count = c.imported FROM (SELECT count(*) AS total, "
        "count(*) FILTER (WHERE status = 'error') AS errors, count(*) FILTER (WHERE status = 'imported') AS imported "
        "FROM import_row WHERE batch = $1) c WHERE b.id = $1",
        batch_id)


async def chunk_after(batch_id: int, after_id: int, status: str | None = None, size: int = CHUNK) -> list[dict]:
    return await db.fetch("SELECT id, row_no, data, errors, status, entity_id FROM import_row WHERE batch = $1 "
                          "AND id > $2 AND ($3::text IS NULL OR status = $3) ORDER BY id LIMIT $4",
                          batch_id, after_id, status, size)


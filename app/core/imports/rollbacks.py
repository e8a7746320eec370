"""After the commit: rollback of the whole batch (row by row, or the spec's `rollback_batch`) and the
report of the rows with errors."""
from __future__ import annotations

import asyncio
import json

import asyncpg

from app.core import audit, db
from app.core import import_files as files
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.imports.batches import chunk_after, decode_json, get_batch, job_state, refresh_counts
from app.core.imports.specs import ImportSpec, get_spec, ready


async def _undo_row(spec: ImportSpec, actor: Actor, row: dict) -> bool:
    try:
        async with db.transaction():
            await spec.rollback(actor, row["entity_id"])
            await db.execute("UPDATE import_row SET status = 'rolled_back', errors = '{}'::jsonb WHERE id = $1 "
                             "AND status = 'imported'", row["id"])
        return True
    except (Invalid, Conflict, asyncpg.IntegrityConstraintViolationError) as exc:
        message = exc.message if isinstance(exc, Invalid) else (
            str(exc) if isinstance(exc, Conflict) else _("Other records refer to it, so it was kept."))
        await db.execute("UPDATE import_row SET errors = $2::jsonb WHERE id = $1", row["id"],
                         json.dumps({"rollback": message}, ensure_ascii=False))
        return False


async def rollback(batch_id: int, actor: Actor) -> int:
    """Undo every imported row (one transaction per row: an interrupted rollback just runs again)."""
    batch = await get_batch(batch_id, actor)
    spec = get_spec(batch["kind"])
    job = await job_state(batch)
    stuck = batch["status"] == "committing" and job is not None and job["status"] == "failed"
    if batch["status"] != "committed" and not stuck:
        raise Conflict(_("Only a committed import can be rolled back."))
    if spec.rollback_batch:  # all or nothing, in one transaction (e.g. replaying the change log)
        async with db.transaction():
            await spec.rollback_batch(actor, batch_id)
            undone = len(await db.fetch("UPDATE import_row SET status = 'rolled_back', errors = '{}'::jsonb "
                                        "WHERE batch = $1 AND status = 'imported' RETURNING id", batch_id))
            await db.execute("UPDATE import_batch SET status = 'rolled_back', rolled_back_at = now() WHERE id = $1",
                             batch_id)
            await refresh_counts(batch_id)
            await audit.record(actor, "rollback", "import_batch", batch_id,
                               summary=f"{spec.kind}: {undone} rows undone")
        return undone
    undone = kept = after = 0
    while rows := await chunk_after(batch_id, after, "imported"):
        after = rows[-1]["id"]
        for row in rows:
            if await _undo_row(spec, actor, row):
                undone += 1
            else:
                kept += 1
    async with db.transaction():
        if not await db.fetchval("SELECT 1 FROM import_row WHERE batch = $1 AND status = 'imported' LIMIT 1", batch_id):
            await db.execute("UPDATE import_batch SET status = 'rolled_back', rolled_back_at = now() WHERE id = $1",
                             batch_id)
        await refresh_counts(batch_id)
        await audit.record(actor, "rollback", "import_batch", batch_id,
                           summary=f"{spec.kind}: {undone} rows undone, {kept} kept")
    return undone


def describe_errors(spec: ImportSpec, errors: dict) -> str:
    return "; ".join(f"{spec.label(k) if k != 'rollback' else _('Rollback')}: {m}" for k, m in errors.items())


async def error_report_xlsx(batch_id: int) -> bytes:
    """The rows with errors as uploaded, each with its row number and messages (call after get_batch)."""
    batch = await db.fetchrow("SELECT kind, headers, mapping FROM import_batch WHERE id = $1", batch_id)
    spec, headers = await ready(get_spec(batch["kind"])), decode_json(batch["headers"])
    out, after = [], 0
    while rows := await db.fetch("SELECT id, row_no, data, errors FROM import_row WHERE batch = $1 AND id > $2 "
                                 "AND errors <> '{}'::jsonb ORDER BY id LIMIT 1000", batch_id, after):
        after = rows[-1]["id"]
        out += [(r["row_no"], decode_json(r["data"])["cells"], describe_errors(spec, decode_json(r["errors"])))
                for r in rows]
    hidden = {decode_json(batch["mapping"]).get(c.key) for c in spec.columns if c.sensitive}
    out = [(n, [None if i in hidden else c for i, c in enumerate(cells)], msg) for n, cells, msg in out]
    return await asyncio.to_thread(files.error_workbook, headers, out)

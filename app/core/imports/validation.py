"""Mapping and validation: every row parsed and checked (in-file duplicates, the spec's checks, matches
with existing records), and the outcome stored on the rows. The commit job runs the same checks again."""
from __future__ import annotations

import asyncio
import json

from app.core import db
from app.core import import_files as files
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.imports.batches import chunk_after, decode_json, get_batch, refresh_counts
from app.core.imports.specs import ROW, ImportContext, ImportSpec, get_spec

YIELD_EVERY = 50  # rows parsed between yields to the event loop while another chunk is being written


async def evaluate(spec: ImportSpec, mapping: dict, rows: list[dict], ctx: ImportContext,
                    seen: dict | None) -> list[tuple[dict, dict, dict]]:
    """Parse a chunk of rows, check in-file duplicates (when `seen`), then the spec's database checks."""
    results = []
    for n, row in enumerate(rows, 1):
        row["data"] = decode_json(row["data"])  # decoded once: the duplicate choice reads it again
        values, errors = files.parse_row(spec, mapping, row["data"], ctx)
        if seen is not None:
            files.check_duplicates(spec, row["row_no"], values, errors, seen)
        results.append((row, values, errors))
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let a chunk being written send its next statement (see commit_job._import_rows)
    if spec.prepare:
        await spec.prepare([v for _r, v, _e in results], ctx)
    if spec.validate_row:
        for n, (row, values, errors) in enumerate(results, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            ctx.row_no = row["row_no"]
            try:
                found = await spec.validate_row(values, ctx) or {}
            except Invalid as exc:
                found = {exc.field or ROW: exc.message}
            for key, message in found.items():
                errors.setdefault(key or ROW, message)
    return results


async def duplicates(spec: ImportSpec, results: list[tuple[dict, dict, dict]], ctx: ImportContext) -> list:
    """The spec's match (or None) for each evaluated row; a refused match becomes the row's error."""
    found: list = [None] * len(results)
    if not spec.find_duplicates:
        return found
    valid = [i for i, (_r, _v, errors) in enumerate(results) if not errors]
    matches = await spec.find_duplicates([results[i][1] for i in valid], ctx) if valid else []
    # strict=False: the list comes from the spec (one per row by contract, not by construction)
    for i, match in zip(valid, matches, strict=False):
        if match and match.get("error"):
            results[i][2][ROW] = match["error"]
        elif match:
            found[i] = match
    return found


def _with_duplicate(data: dict, match: dict | None) -> dict:
    """The stored row with its match; a choice made for the same match is kept (default: skip)."""
    old_match, old_choice = data.get("dup") or {}, data.get("choice")
    data = {k: v for k, v in data.items() if k not in ("dup", "choice")}
    if match:
        keep = old_choice if str(old_match.get("id")) == str(match["id"]) else None
        data.update(dup=match, choice=keep or "skip")
    return data


async def apply_mapping_and_validate(batch_id: int, mapping: dict, actor: Actor) -> dict:
    """Save the mapping and (re)validate every row; returns the batch with its counts."""
    batch = await get_batch(batch_id, actor)
    if batch["status"] not in ("uploaded", "validated"):
        raise Conflict(_("This import has already been committed; upload the file again to change it."))
    spec = get_spec(batch["kind"])
    clean = files.check_mapping(spec, batch["headers"], mapping)
    ctx, seen, after = ImportContext(actor, batch_id), {c.key: {} for c in spec.columns if c.unique}, 0

    async def probed(results: list) -> tuple[list, list]:
        return results, await duplicates(spec, results, ctx)

    async with db.transaction():
        # Pipelined: chunk N's duplicate probes run in PostgreSQL (read-only, on their own connection)
        # while Python parses and checks chunk N+1 here; the rows are then written in this transaction.
        probing: asyncio.Task | None = None
        try:
            while True:
                rows = await chunk_after(batch_id, after, size=500)
                results = await evaluate(spec, clean, rows, ctx, seen) if rows else []
                if probing is not None:
                    await _save_checks(*await probing)
                    probing = None
                if not rows:
                    break
                after = rows[-1]["id"]
                probing = db.detached(probed(results))
        finally:
            if probing is not None:
                probing.cancel()
        await db.execute("UPDATE import_batch SET mapping = $2::jsonb, status = 'validated' WHERE id = $1",
                         batch_id, json.dumps(clean))
        await refresh_counts(batch_id)
    return await get_batch(batch_id, actor)


async def _save_checks(results: list, matches: list) -> None:
    """Only rows whose outcome differs are written: a clean file writes none."""
    changed = []
    for (row, _v, errors), match in zip(results, matches, strict=True):
        data = decode_json(row["data"])
        new_data, status = _with_duplicate(data, match), "error" if errors else "ok"
        if status != row["status"] or errors != decode_json(row["errors"]) or new_data != data:
            changed.append((row["id"], json.dumps(errors, ensure_ascii=False), status,
                            json.dumps(new_data, ensure_ascii=False)))
    if changed:
        await db.execute(
            "UPDATE import_row r SET errors = x.e::jsonb, status = x.s, data = x.d::jsonb FROM "
            "unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS x(id, e, s, d) WHERE r.id = x.id",
            *map(list, zip(*changed, strict=True)))


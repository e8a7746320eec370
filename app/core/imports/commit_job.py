"""Commit as a background job (the "import.commit" handler), or at once inside the caller's job
(`import_now`): each valid row created, or its duplicate updated or skipped, and marked in the same
transaction so a retried job resumes on the rows still 'ok'."""
from __future__ import annotations

import asyncio
import json

import asyncpg

from app.core import audit, db, jobs, notify
from app.core import import_files as files
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import current_locale
from app.core.i18n import gettext as _
from app.core.imports import batches
from app.core.imports.batches import chunk_after, decode_json, get_batch, job_state, refresh_counts
from app.core.imports.specs import ROW, ImportContext, ImportSpec, choices_for, get_spec, ready
from app.core.imports.upload import store_sheet
from app.core.imports.validation import apply_mapping_and_validate, duplicates, evaluate
from app.core.permissions import Scope

COMMIT_CHUNK = 1000  # rows per transaction for specs with `create_many`
WRITES_IN_FLIGHT = 2  # commit chunks written at once, each in its own transaction


async def commit(batch_id: int, actor: Actor) -> int:
    """Queue the import of every valid row; returns the job id. A failed job may be started again."""
    batch = await get_batch(batch_id, actor)
    spec = get_spec(batch["kind"])
    job = await job_state(batch)
    retry = batch["status"] == "committing" and job is not None and job["status"] == "failed"
    if batch["status"] != "validated" and not retry:
        raise Conflict(_("This import cannot be committed in its current state."))
    if not batch["ok_count"]:
        raise Conflict(_("There are no valid rows to import."))
    async with db.transaction():
        if not await db.fetchval("UPDATE import_batch SET status = 'committing' WHERE id = $1 AND status = $2 "
                                 "RETURNING id", batch_id, batch["status"]):
            raise Conflict(_("This import cannot be committed in its current state."))
        job_id = await jobs.enqueue("import.commit", {"batch": batch_id, "module": spec.module, "ip": actor.ip,
                                                      "lang": current_locale.get()},
                                    dedupe_key=f"import.commit:{batch_id}:{batch['job_id'] or 0}", created_by=actor.id)
        await db.execute("UPDATE import_batch SET job_id = $2 WHERE id = $1", batch_id, job_id)
        await audit.record(actor, "commit", "import_batch", batch_id, summary=f"{spec.kind}: {batch['ok_count']} rows")
    return job_id


_ACTOR_SQL = """
SELECT u.id, u.username, u.org, u.is_superuser, o.path AS org_path,
       COALESCE((SELECT array_agg(DISTINCT p) FROM user_role ur JOIN role r ON r.id = ur.role,
                 unnest(r.permissions) p WHERE ur."user" = u.id), '{}') AS perms,
       COALESCE((SELECT json_agg(json_build_object('scope', r.data_scope, 'org', r.scope_org, 'path', so.path))
                 FROM user_role ur JOIN role r ON r.id = ur.role LEFT JOIN org_node so ON so.id = r.scope_org
                 WHERE ur."user" = u.id), '[]') AS roles
FROM app_user u LEFT JOIN org_node o ON o.id = u.org WHERE u.id = $1 AND u.is_active
"""


# Public: also the actor other background jobs act as (sync jobs, REC-09).
async def actor_for(user_id: int | None, ip: str) -> Actor:
    """The uploader with their rights as of now (revoked rights stop the import)."""
    row = await db.fetchrow(_ACTOR_SQL, user_id) if user_id else None
    if row is None:
        return Actor(user_id, "?", ip, Scope(), frozenset())
    scope = Scope.from_roles(decode_json(row["roles"]), row["id"], row["org"], row["org_path"], row["is_superuser"])
    return Actor(row["id"], row["username"], ip, scope, frozenset(row["perms"]), row["is_superuser"])


async def _apply_row(spec: ImportSpec, actor: Actor, row_id: int, values: dict, match: dict | None,
                     choice: str) -> dict:
    """Create one entity (or update/skip its duplicate) and mark its row in the same transaction, so a
    job killed midway resumes on the rows still 'ok'; a refused row gets its message."""
    try:
        async with db.transaction():
            if match and choice not in ("overwrite", "merge"):
                await db.execute("UPDATE import_row SET status = 'skipped', entity_id = $2, errors = '{}'::jsonb "
                                 "WHERE id = $1", row_id, str(match["id"]))
                return {}
            if match:
                entity_id, action = await spec.update(actor, str(match["id"]), values, choice), "updated"
            else:
                entity_id, action = await spec.create(actor, values), "created"
            await db.execute("UPDATE import_row SET status = 'imported', entity_id = $2, errors = '{}'::jsonb, "
                             "data = jsonb_set(data, '{action}', to_jsonb($3::text)) WHERE id = $1",
                             row_id, str(entity_id), action)
    except Invalid as exc:
        return {exc.field or ROW: exc.message}
    except Conflict as exc:
        return {ROW: str(exc)}
    except asyncpg.IntegrityConstraintViolationError:
        return {ROW: _("This record clashes with data saved meanwhile (a duplicate or a missing reference).")}
    return {}


def _choice(row: dict, match: dict | None) -> str:
    """The admin's choice for a row's duplicate, if it still matches the same record (else skip)."""
    stored = decode_json(row["data"])
    same = match and str((stored.get("dup") or {}).get("id")) == str(match["id"])
    return (stored.get("choice") if same else "skip") or "skip"


async def _apply_rows(spec: ImportSpec, actor: Actor, results: list, matches: list) -> None:
    """The old path: one transaction per row."""
    for (row, values, errors), match in zip(results, matches, strict=True):
        errors = errors or await _apply_row(spec, actor, row["id"], values, match, _choice(row, match))
        if errors:
            await db.execute("UPDATE import_row SET status = 'error', errors = $2::jsonb WHERE id = $1",
                             row["id"], json.dumps(errors, ensure_ascii=False))


async def _apply_chunk(spec: ImportSpec, actor: Actor, results: list, matches: list, ctx: ImportContext) -> None:
    """A whole chunk in ONE transaction: new rows through `create_many`, duplicates updated or skipped,
    every row marked (imported / skipped / error) with it — all or nothing."""
    failed, skipped, marked, creates = [], [], [], []
    for (row, values, errors), match in zip(results, matches, strict=True):
        choice = _choice(row, match)
        if errors:
            failed.append((row["id"], json.dumps(errors, ensure_ascii=False)))
        elif match and choice not in ("overwrite", "merge"):
            skipped.append((row["id"], str(match["id"])))
        elif match:
            marked.append((row["id"], values, match, choice))
        else:
            creates.append((row["id"], values))
    async with db.transaction():
        done: list[tuple[int, str, str]] = []
        for row_id, values, match, choice in marked:
            done.append((row_id, str(await spec.update(actor, str(match["id"]), values, choice)), "updated"))
        if creates:
            ids = await spec.create_many(actor, [v for _i, v in creates], ctx)
            if len(ids) != len(creates):
                raise RuntimeError(f"create_many returned {len(ids)} ids for {len(creates)} rows")
            done += [(row_id, str(entity), "created") for (row_id, _v), entity in zip(creates, ids, strict=True)]
        if done:
            await db.execute(
                "UPDATE import_row r SET status = 'imported', entity_id = x.e, errors = '{}'::jsonb,"
                " data = jsonb_set(r.data, '{action}', to_jsonb(x.a)) FROM unnest($1::bigint[], $2::text[],"
                " $3::text[]) AS x(id, e, a) WHERE r.id = x.id",
                [d[0] for d in done], [d[1] for d in done], [d[2] for d in done])
        if skipped:
            await db.execute("UPDATE import_row r SET status = 'skipped', entity_id = x.e, errors = '{}'::jsonb"
                             " FROM unnest($1::bigint[], $2::text[]) AS x(id, e) WHERE r.id = x.id",
                             [s[0] for s in skipped], [s[1] for s in skipped])
        if failed:
            await db.execute("UPDATE import_row r SET status = 'error', errors = x.e::jsonb FROM"
                             " unnest($1::bigint[], $2::text[]) AS x(id, e) WHERE r.id = x.id",
                             [f[0] for f in failed], [f[1] for f in failed])


async def _import_rows(spec: ImportSpec, batch: dict, actor: Actor, ctx: jobs.JobContext | None) -> None:
    mapping, total = decode_json(batch["mapping"]), batch["ok_count"]
    evaluation = ImportContext(actor, batch["id"], committing=True)
    done = total - await db.fetchval("SELECT count(*) FROM import_row WHERE batch = $1 AND status = 'ok'", batch["id"])
    # batches.CHUNK read here, not imported: a test shrinks it to crash mid-commit
    size, after = (COMMIT_CHUNK if spec.create_many else batches.CHUNK), 0
    # Every row of a chunk leaves status 'ok' (or the job fails), so the next chunk starts after it.

    async def evaluated(chunk: list[dict]) -> tuple[list, list]:
        results = await evaluate(spec, mapping, chunk, evaluation, None)
        # Checked again now: a record saved since the validation is a duplicate too (skipped unless the
        # admin chose for that same match).
        return results, await duplicates(spec, results, evaluation)

    rows = await chunk_after(batch["id"], after, "ok", size)
    pending = asyncio.ensure_future(evaluated(rows)) if rows else None
    writing: list[tuple[asyncio.Future, int]] = []  # (write, rows) in flight, oldest first
    in_flight = WRITES_IN_FLIGHT if spec.concurrent_chunks else 1
    try:
        while pending is not None:
            results, matches = await pending
            after = rows[-1]["id"]
            # The next chunk is read and checked while this one is written, and (concurrent_chunks) two
            # chunks are written at once, each in its own transaction, so PostgreSQL has work while Python
            # prepares the next. In-file duplicates were refused at validation, so the check of a chunk
            # does not need the one before it; a chunk left behind by a failed neighbour is still 'ok', and
            # a retried job starts from the first 'ok' row.
            next_rows = await chunk_after(batch["id"], after, "ok", size)
            pending = asyncio.ensure_future(evaluated(next_rows)) if next_rows else None
            writing.append((asyncio.ensure_future(_write_chunk(spec, actor, results, matches, evaluation)), len(rows)))
            rows = next_rows
            while writing and (len(writing) >= in_flight or pending is None):
                write, count = writing.pop(0)
                await write
                done += count
                if ctx is not None:
                    await ctx.progress(done, total, _("%(done)s of %(total)s rows processed", done=done,
                                                      total=total))
    except Exception:
        # A failed chunk rolled back alone; the chunk written beside it may finish (a retry skips it).
        if pending is not None:
            pending.cancel()
        await asyncio.gather(*(w for w, _n in writing), return_exceptions=True)
        raise
    except BaseException:  # cancelled: stop everything
        for task in [pending, *(w for w, _n in writing)]:
            if task is not None:
                task.cancel()
        raise


async def _write_chunk(spec: ImportSpec, actor: Actor, results: list, matches: list, evaluation: ImportContext) -> None:
    if spec.create_many:
        try:
            await _apply_chunk(spec, actor, results, matches, evaluation)
        except (Invalid, Conflict, asyncpg.IntegrityConstraintViolationError, asyncpg.DataError):
            await _apply_rows(spec, actor, results, matches)  # find the refused row(s)
    else:
        await _apply_rows(spec, actor, results, matches)


async def _finish_commit(spec: ImportSpec, batch_id: int) -> dict:
    async with db.transaction():
        batch = await db.fetchrow("UPDATE import_batch SET status = 'committed', committed_at = now() WHERE id = $1 "
                                  "AND status = 'committing' RETURNING created_by, mapping", batch_id)
        if batch is None:
            return {"skipped": True}
        await refresh_counts(batch_id)
        mapping = decode_json(batch["mapping"])
        for col in spec.columns:  # e.g. initial passwords: not kept once the users exist
            if col.sensitive and mapping.get(col.key) is not None:
                await db.execute("UPDATE import_row SET data = jsonb_set(data, ARRAY['cells', $2::text], "
                                 "'null'::jsonb) WHERE batch = $1", batch_id, str(mapping[col.key]))
        counts = await db.fetchrow("SELECT imported_count, error_count FROM import_batch WHERE id = $1", batch_id)
        result = {"imported": counts["imported_count"], "errors": counts["error_count"]}
        if batch["created_by"]:
            await notify.notify([batch["created_by"]], "import_finished", result, channels=("inbox",),
                                url=f"/admin/imports/batch/{batch_id}")
    return result


@jobs.handler("import.commit")
async def _commit_job(ctx: jobs.JobContext) -> dict:
    batch = await db.fetchrow("SELECT * FROM import_batch WHERE id = $1", ctx.payload["batch"])
    if batch is None or batch["status"] != "committing":
        return {"skipped": True}  # finished by an earlier attempt
    spec = await ready(get_spec(batch["kind"], ctx.payload.get("module")))
    token = current_locale.set(ctx.payload.get("lang") or current_locale.get())
    try:
        actor = await actor_for(batch["created_by"], ctx.payload.get("ip", ""))
        if actor.can(spec.permission):
            await _import_rows(spec, batch, actor, ctx)
        else:
            refused = {ROW: _("The uploader no longer holds the import permission.")}
            await db.execute("UPDATE import_row SET status = 'error', errors = $2::jsonb WHERE batch = $1 AND "
                             "status = 'ok'", batch["id"], json.dumps(refused, ensure_ascii=False))
        return await _finish_commit(spec, batch["id"])
    finally:
        current_locale.reset(token)


async def import_now(spec: ImportSpec, filename: str, sheet: files.SheetData, actor: Actor, *,
                     duplicate_choice: str = "skip", mapping: dict | None = None,
                     ctx: jobs.JobContext | None = None) -> dict:
    """Upload, validate, choose for every duplicate and commit in one go, inside the caller's job (data
    source sync, REC-09). Returns the finished batch; its report and rollback work like any import's."""
    await ready(spec)
    batch_id = await store_sheet(spec, filename, sheet, actor, mapping)
    batch = await get_batch(batch_id, actor)
    await apply_mapping_and_validate(batch_id, {k: v for k, v in batch["mapping"].items() if v is not None}
                                     | (mapping or {}), actor)
    if duplicate_choice in choices_for(spec):
        await db.execute("UPDATE import_row SET data = jsonb_set(data, '{choice}', to_jsonb($2::text)) "
                         "WHERE batch = $1 AND data ? 'dup'", batch_id, duplicate_choice)
    await db.execute("UPDATE import_batch SET status = 'committing' WHERE id = $1", batch_id)
    await _import_rows(spec, await db.fetchrow("SELECT * FROM import_batch WHERE id = $1", batch_id), actor, ctx)
    await _finish_commit(spec, batch_id)
    return await get_batch(batch_id, actor)


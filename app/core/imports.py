"""Import engine (SUP-18 users now, every module's imports later — REC-08).

upload (xlsx/csv) → map columns → validate (per-row errors in import_row.errors as {column: message})
→ commit as a background job → report → rollback of the whole batch.

A module declares an `ImportSpec` and `register`s it. The commit job creates each row and marks it
'imported' with its entity id in ONE transaction, so a worker killed mid-job resumes on the rows still
'ok' and nothing is created twice. A spec with `create_many` is committed a chunk at a time instead
(COMMIT_CHUNK rows: set-based inserts, the rows marked in the same transaction — a chunk is all or
nothing); a chunk refused by a row error is redone row by row so the error lands on its row.
File reading and column parsers live in `import_files`.
"""
from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from app.core import audit, db, jobs, notify, settings_store
from app.core import import_files as files
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import current_locale
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied, Scope

CHUNK = 200
COMMIT_CHUNK = 1000  # rows per transaction for specs with `create_many`
WRITES_IN_FLIGHT = 2  # commit chunks written at once, each in its own transaction
YIELD_EVERY = 50  # rows parsed between yields to the event loop while another chunk is being written
ANALYZE_ROWS = 5000  # an upload this big refreshes import_row's planner statistics
ROW = files.ROW
auto_mapping = files.auto_mapping  # header texts → columns (either language); part of the engine's API
ROW_STATUSES = ("ok", "error", "imported", "skipped", "rolled_back")
# What to do with a row matching an existing record (REC-08): keep the record as it is, overwrite its
# fields with the file's non-empty values, or fill only its empty fields.
DUPLICATE_CHOICES = ("skip", "overwrite", "merge")


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: str  # a lazy msgid: L("Username")
    required: bool = False
    parse: Callable[[Any, ImportContext], Any] | None = None  # raises Invalid("", message) on bad input
    example: str = ""
    help: str = ""
    unique: bool = False  # may not repeat inside one file (compared case-insensitively)
    sensitive: bool = False  # never shown back; cleared from the stored rows once the batch is committed
    aliases: tuple[str, ...] = ()  # more header texts that map to this column


@dataclass
class ImportContext:
    """Passed to parsers and row checks; `cache` keeps lookups loaded once per chunk by `prepare`."""
    actor: Actor
    batch_id: int | None = None
    cache: dict = field(default_factory=dict)
    committing: bool = False  # True inside the commit job (a spec may open its change batch then)
    row_no: int = 0  # the row being checked by validate_row (for messages naming other rows)


@dataclass
class ImportSpec:
    kind: str
    title: str
    permission: str
    columns: list[ImportColumn]
    create: Callable[[Actor, dict], Awaitable[str]]
    rollback: Callable[[Actor, str], Awaitable[None]] | None = None  # undo one created row
    validate_row: Callable[[dict, ImportContext], Awaitable[dict | None]] | None = None
    # async fn(values_of_chunk, ctx): load what validate_row needs for a whole chunk at once (no N+1)
    prepare: Callable[[list[dict], ImportContext], Awaitable[None]] | None = None
    instructions: tuple[str, ...] = ()
    # Duplicate check (optional): async fn(values of the valid rows of a chunk, ctx) → per row None or
    # {"id": entity id, "label": text shown, "rule": what matched} ({"error": message} refuses the row).
    find_duplicates: Callable[[list[dict], ImportContext], Awaitable[list[dict | None]]] | None = None
    # async fn(actor, entity id, values, mode "overwrite"/"merge") → entity id: a duplicate row applied
    update: Callable[[Actor, str, dict, str], Awaitable[str]] | None = None
    # async fn(actor, batch id): undo the whole batch in one go (instead of `rollback` row by row)
    rollback_batch: Callable[[Actor, int], Awaitable[None]] | None = None
    # async fn() → columns: for specs whose columns are configurable (custom fields); see `ready`
    load_columns: Callable[[], Awaitable[list[ImportColumn]]] | None = None
    # async fn(actor, values of the rows to create, ctx) → their entity ids in the same order: a whole
    # commit chunk created set-based (raise Invalid/Conflict to have the chunk redone row by row)
    create_many: Callable[[Actor, list[dict], ImportContext], Awaitable[list[str]]] | None = None
    module: str = ""  # where the spec is declared; the worker imports it to find the spec
    # True when no row depends on another row's write (no running balances, no parents created earlier in
    # the file): the commit then writes two chunks at once. Leave False when the file's order matters.
    concurrent_chunks: bool = False

    def label(self, key: str) -> str:
        col = next((c for c in self.columns if c.key == key), None)
        return str(col.label) if col else (_("Row") if key in (ROW, "") else key)


SPECS: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> ImportSpec:
    spec.module = spec.module or spec.create.__module__
    SPECS[spec.kind] = spec
    return spec


async def ready(spec: ImportSpec) -> ImportSpec:
    """Reload configurable columns (custom fields may have changed since the last request)."""
    if spec.load_columns:
        spec.columns = await spec.load_columns()
    return spec


def choices_for(spec: ImportSpec) -> tuple[str, ...]:
    return DUPLICATE_CHOICES if spec.update else ("skip",)


def get_spec(kind: str, module: str | None = None) -> ImportSpec:
    if kind not in SPECS and module:
        importlib.import_module(module)
    if kind not in SPECS:
        raise LookupError(kind)
    return SPECS[kind]


def spec_for(kind: str, actor: Actor) -> ImportSpec:
    """The spec of `kind` if the actor may use it (LookupError: unknown kind)."""
    spec = get_spec(kind)
    if not actor.can(spec.permission):
        raise PermissionDenied()
    return spec


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# --- template and upload ------------------------------------------------------------------------

def template_xlsx(spec: ImportSpec) -> bytes:
    intro = [_("Fill in one row per record below the header row. The second row is an example: replace it."),
             _("Columns marked * are required. Keep the header texts; the column order does not matter."),
             _("Type values, not formulas. Write dates like 2024-01-31."), *[str(s) for s in spec.instructions]]
    columns = [{"header": files.header_text(c), "example": c.example, "required": c.required, "help": str(c.help or "")}
               for c in spec.columns]
    return files.template_workbook(str(spec.title), columns, intro)


async def parse_upload(spec: ImportSpec, filename: str, data: bytes, actor: Actor) -> int:
    """Store the file's header and raw rows as a new batch; Invalid("file", message) when unusable."""
    if not actor.can(spec.permission):
        raise PermissionDenied()
    await ready(spec)
    max_mb = float(await settings_store.get("upload.max_mb") or 20)
    kind = files.check_file(filename or "", data, max_mb)
    sheet = await asyncio.to_thread(files.read_file, kind, data)
    return await _store_sheet(spec, filename, sheet, actor)


async def _store_sheet(spec: ImportSpec, filename: str, sheet: files.SheetData, actor: Actor,
                       mapping: dict | None = None) -> int:
    mapping = mapping or files.auto_mapping(spec, sheet.headers)
    async with db.transaction():
        batch_id = await db.fetchval(
            "INSERT INTO import_batch (kind, filename, status, headers, mapping, total, created_by) "
            "VALUES ($1, $2, 'uploaded', $3::jsonb, $4::jsonb, $5, $6) RETURNING id", spec.kind, (filename or "")[:200],
            json.dumps(sheet.headers, ensure_ascii=False), json.dumps(mapping), len(sheet.rows), actor.id)
        for start in range(0, len(sheet.rows), 1000):
            part = sheet.rows[start:start + 1000]
            await db.execute(
                "INSERT INTO import_row (batch, row_no, data, errors, status) "
                "SELECT $1, x.n, x.d::jsonb, '{}'::jsonb, 'ok' FROM unnest($2::int[], $3::text[]) AS x(n, d)",
                batch_id, [n for n, _row in part], [json.dumps(r, ensure_ascii=False) for _n, r in part])
        await audit.record(actor, "upload", "import_batch", batch_id,
                           summary=f"{spec.kind}: {filename} ({len(sheet.rows)} rows)")
    if len(sheet.rows) >= ANALYZE_ROWS:
        # Autovacuum has not seen the new rows yet: with statistics saying "one row per batch" the planner
        # sorted the whole batch for every chunk read (40 ms a chunk at 100,000 rows).
        await db.execute("ANALYZE import_row")
    return batch_id


# --- batches ------------------------------------------------------------------------------------

async def get_batch(batch_id: int, actor: Actor) -> dict:
    """A batch its creator (or a superuser) may see; LookupError when missing."""
    row = await db.fetchrow("SELECT * FROM import_batch WHERE id = $1", batch_id)
    if row is None:
        raise LookupError(batch_id)
    if not (actor.is_superuser or (row["created_by"] is not None and row["created_by"] == actor.id)):
        raise PermissionDenied()
    await ready(spec_for(row["kind"], actor))
    row["headers"], row["mapping"] = _json(row["headers"]), _json(row["mapping"])
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
        data = _json(item.pop("data"))
        item["cells"] = data["cells"]
        item["dup"], item["choice"], item["action"] = data.get("dup"), data.get("choice"), data.get("action")
        item["errors"] = _json(item["errors"])
    return Page(items, total, req.page, req.per_page)


async def duplicate_rows(batch_id: int, limit: int = 200) -> list[dict]:
    """Valid rows matching an existing record, for the per-row choice form (the rest: "apply to all")."""
    rows = await db.fetch("SELECT id, row_no, data FROM import_row WHERE batch = $1 AND status = 'ok' AND data ? 'dup' "
                          "ORDER BY row_no LIMIT $2", batch_id, limit)
    return [{"id": r["id"], "row_no": r["row_no"], "dup": _json(r["data"])["dup"],
             "choice": _json(r["data"]).get("choice") or "skip"} for r in rows]


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
        await audit.record(actor, "update", "import_batch", batch_id,
                           summary=f"duplicates: {len(changed)} choices" + (f" ({apply_all} for all)" if apply_all else ""))
    return len(changed)


async def preview(batch_id: int, limit: int = 5) -> list[list]:
    rows = await db.fetch("SELECT data FROM import_row WHERE batch = $1 ORDER BY row_no LIMIT $2", batch_id, limit)
    return [_json(r["data"])["cells"] for r in rows]


async def job_state(batch: dict) -> dict | None:
    """The commit job's progress for the report page."""
    return await jobs.get(batch["job_id"]) if batch.get("job_id") else None


async def _refresh_counts(batch_id: int) -> None:
    await db.execute(
        "UPDATE import_batch b SET total = c.total, error_count = c.errors, ok_count = c.total - c.errors, "
        "imported_count = c.imported FROM (SELECT count(*) AS total, "
        "count(*) FILTER (WHERE status = 'error') AS errors, count(*) FILTER (WHERE status = 'imported') AS imported "
        "FROM import_row WHERE batch = $1) c WHERE b.id = $1",
        batch_id)


async def _chunk_after(batch_id: int, after_id: int, status: str | None = None, size: int = CHUNK) -> list[dict]:
    return await db.fetch("SELECT id, row_no, data, errors, status, entity_id FROM import_row WHERE batch = $1 "
                          "AND id > $2 AND ($3::text IS NULL OR status = $3) ORDER BY id LIMIT $4",
                          batch_id, after_id, status, size)


# --- mapping and validation ---------------------------------------------------------------------

async def _evaluate(spec: ImportSpec, mapping: dict, rows: list[dict], ctx: ImportContext,
                    seen: dict | None) -> list[tuple[dict, dict, dict]]:
    """Parse a chunk of rows, check in-file duplicates (when `seen`), then the spec's database checks."""
    results = []
    for n, row in enumerate(rows, 1):
        row["data"] = _json(row["data"])  # decoded once: the duplicate choice reads it again
        values, errors = files.parse_row(spec, mapping, row["data"], ctx)
        if seen is not None:
            files.check_duplicates(spec, row["row_no"], values, errors, seen)
        results.append((row, values, errors))
        if n % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let a chunk being written send its next statement (see _import_rows)
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


async def _duplicates(spec: ImportSpec, results: list[tuple[dict, dict, dict]], ctx: ImportContext) -> list:
    """The spec's match (or None) for each evaluated row; a refused match becomes the row's error."""
    found: list = [None] * len(results)
    if not spec.find_duplicates:
        return found
    valid = [i for i, (_r, _v, errors) in enumerate(results) if not errors]
    matches = await spec.find_duplicates([results[i][1] for i in valid], ctx) if valid else []
    for i, match in zip(valid, matches):
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
        return results, await _duplicates(spec, results, ctx)

    async with db.transaction():
        # Pipelined: chunk N's duplicate probes run in PostgreSQL (read-only, on their own connection)
        # while Python parses and checks chunk N+1 here; the rows are then written in this transaction.
        probing: asyncio.Task | None = None
        try:
            while True:
                rows = await _chunk_after(batch_id, after, size=500)
                results = await _evaluate(spec, clean, rows, ctx, seen) if rows else []
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
        await _refresh_counts(batch_id)
    return await get_batch(batch_id, actor)


async def _save_checks(results: list, matches: list) -> None:
    """Only rows whose outcome differs are written: a clean file writes none."""
    changed = []
    for (row, _v, errors), match in zip(results, matches):
        data = _json(row["data"])
        new_data, status = _with_duplicate(data, match), "error" if errors else "ok"
        if status != row["status"] or errors != _json(row["errors"]) or new_data != data:
            changed.append((row["id"], json.dumps(errors, ensure_ascii=False), status,
                            json.dumps(new_data, ensure_ascii=False)))
    if changed:
        await db.execute(
            "UPDATE import_row r SET errors = x.e::jsonb, status = x.s, data = x.d::jsonb FROM "
            "unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS x(id, e, s, d) WHERE r.id = x.id",
            *map(list, zip(*changed)))


# --- commit (background job) --------------------------------------------------------------------

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


async def _actor_for(user_id: int | None, ip: str) -> Actor:
    """The uploader with their rights as of now (revoked rights stop the import)."""
    row = await db.fetchrow(_ACTOR_SQL, user_id) if user_id else None
    if row is None:
        return Actor(user_id, "?", ip, Scope(), frozenset())
    scope = Scope.from_roles(_json(row["roles"]), row["id"], row["org"], row["org_path"], row["is_superuser"])
    return Actor(row["id"], row["username"], ip, scope, frozenset(row["perms"]), row["is_superuser"])


actor_for = _actor_for  # the actor a background job acts as (sync jobs, REC-09)


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
    stored = _json(row["data"])
    same = match and str((stored.get("dup") or {}).get("id")) == str(match["id"])
    return (stored.get("choice") if same else "skip") or "skip"


async def _apply_rows(spec: ImportSpec, actor: Actor, results: list, matches: list) -> None:
    """The old path: one transaction per row."""
    for (row, values, errors), match in zip(results, matches):
        errors = errors or await _apply_row(spec, actor, row["id"], values, match, _choice(row, match))
        if errors:
            await db.execute("UPDATE import_row SET status = 'error', errors = $2::jsonb WHERE id = $1",
                             row["id"], json.dumps(errors, ensure_ascii=False))


async def _apply_chunk(spec: ImportSpec, actor: Actor, results: list, matches: list, ctx: ImportContext) -> None:
    """A whole chunk in ONE transaction: new rows through `create_many`, duplicates updated or skipped,
    every row marked (imported / skipped / error) with it — all or nothing."""
    failed, skipped, marked, creates = [], [], [], []
    for (row, values, errors), match in zip(results, matches):
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
            done += [(row_id, str(entity), "created") for (row_id, _v), entity in zip(creates, ids)]
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
    mapping, total = _json(batch["mapping"]), batch["ok_count"]
    evaluation = ImportContext(actor, batch["id"], committing=True)
    done = total - await db.fetchval("SELECT count(*) FROM import_row WHERE batch = $1 AND status = 'ok'", batch["id"])
    size, after = (COMMIT_CHUNK if spec.create_many else CHUNK), 0
    # Every row of a chunk leaves status 'ok' (or the job fails), so the next chunk starts after it.

    async def evaluated(chunk: list[dict]) -> tuple[list, list]:
        results = await _evaluate(spec, mapping, chunk, evaluation, None)
        # Checked again now: a record saved since the validation is a duplicate too (skipped unless the
        # admin chose for that same match).
        return results, await _duplicates(spec, results, evaluation)

    rows = await _chunk_after(batch["id"], after, "ok", size)
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
            next_rows = await _chunk_after(batch["id"], after, "ok", size)
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
        await _refresh_counts(batch_id)
        mapping = _json(batch["mapping"])
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
        actor = await _actor_for(batch["created_by"], ctx.payload.get("ip", ""))
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
    batch_id = await _store_sheet(spec, filename, sheet, actor, mapping)
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


# --- rollback and error report ------------------------------------------------------------------

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
            await _refresh_counts(batch_id)
            await audit.record(actor, "rollback", "import_batch", batch_id, summary=f"{spec.kind}: {undone} rows undone")
        return undone
    undone = kept = after = 0
    while rows := await _chunk_after(batch_id, after, "imported"):
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
        await _refresh_counts(batch_id)
        await audit.record(actor, "rollback", "import_batch", batch_id,
                           summary=f"{spec.kind}: {undone} rows undone, {kept} kept")
    return undone


def describe_errors(spec: ImportSpec, errors: dict) -> str:
    return "; ".join(f"{spec.label(k) if k != 'rollback' else _('Rollback')}: {m}" for k, m in errors.items())


async def error_report_xlsx(batch_id: int) -> bytes:
    """The rows with errors as uploaded, each with its row number and messages (call after get_batch)."""
    batch = await db.fetchrow("SELECT kind, headers, mapping FROM import_batch WHERE id = $1", batch_id)
    spec, headers = await ready(get_spec(batch["kind"])), _json(batch["headers"])
    out, after = [], 0
    while rows := await db.fetch("SELECT id, row_no, data, errors FROM import_row WHERE batch = $1 AND id > $2 "
                                 "AND errors <> '{}'::jsonb ORDER BY id LIMIT 1000", batch_id, after):
        after = rows[-1]["id"]
        out += [(r["row_no"], _json(r["data"])["cells"], describe_errors(spec, _json(r["errors"]))) for r in rows]
    hidden = {_json(batch["mapping"]).get(c.key) for c in spec.columns if c.sensitive}
    out = [(n, [None if i in hidden else c for i, c in enumerate(cells)], msg) for n, cells, msg in out]
    return await asyncio.to_thread(files.error_workbook, headers, out)

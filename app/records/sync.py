"""Data source sync (REC-09): school systems feed alumni records in.

A connector fetches rows (header + cells, like an uploaded sheet); each batch of rows then goes through
the alumni import (same mapping by column key or label, same checks, same duplicate rules, applied
with the source's duplicate choice) as an import batch the source owner can inspect and roll back.
Built-ins: a PostgreSQL query (`sql`) and a CSV drop folder (`csv_folder`, processed files move to
done/ or failed/). Each run writes one rec_sync_log row with its counts."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from app.config import DATA_DIR
from app.core import audit, db, imports, jobs
from app.core import import_files as files
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest

KINDS = {"sql": L("SQL query (PostgreSQL)"), "csv_folder": L("CSV drop folder")}
ON_DUPLICATE = {"skip": L("Skip (keep the existing record)"), "overwrite": L("Overwrite with the source's values"),
                "merge": L("Merge (fill empty fields only)")}
SQL_TIMEOUT = 60


def sync_root() -> Path:
    """CSV folders must lie under this directory (an admin cannot point the sync at arbitrary server paths)."""
    return Path(os.environ.get("TC_SYNC_DIR", DATA_DIR / "sync")).resolve()


def _json(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else (value or {})


# --- connectors -------------------------------------------------------------------------------------

@dataclass
class Chunk:
    """One unit of work from a source: its rows, and what to do once it is processed."""
    name: str
    sheet: files.SheetData | None
    finish: Callable[[bool], Awaitable[None]]
    error: str = ""


class Connector:
    kind = ""

    def check(self, config: dict) -> None:
        """Invalid(field, message) for an unusable configuration."""

    def chunks(self, config: dict) -> AsyncIterator[Chunk]:
        raise NotImplementedError


async def _nothing(_ok: bool) -> None:
    return None


def _sheet(headers: list[str], rows: list[list]) -> files.SheetData:
    sheet = files.SheetData([str(h) for h in headers])
    for number, row in enumerate(rows, start=2):
        sheet.rows.append((number, {"cells": [files.normalize(v) for v in row]}))
    return sheet


class SqlSource(Connector):
    """A SELECT on a PostgreSQL database; column aliases name the fields (AS name, AS college …)."""
    kind = "sql"

    def check(self, config: dict) -> None:
        if not str(config.get("dsn") or "").startswith(("postgresql://", "postgres://")):
            raise Invalid("dsn", _("Enter a PostgreSQL connection URL: postgresql://user:password@host/db."))
        query = str(config.get("query") or "").strip().lower()
        if not query.startswith(("select", "with")):
            raise Invalid("query", _("Enter one SELECT query."))

    async def chunks(self, config: dict) -> AsyncIterator[Chunk]:
        con = await asyncpg.connect(config["dsn"], timeout=10)
        try:
            async with con.transaction(readonly=True):  # the source is only ever read
                await con.execute(f"SET LOCAL statement_timeout = '{SQL_TIMEOUT}s'")
                stmt = await con.prepare(config["query"])
                headers = [a.name for a in stmt.get_attributes()]
                records = await stmt.fetch()
        finally:
            await con.close()
        if records:
            yield Chunk("query", _sheet(headers, [list(r.values()) for r in records]), _nothing)


class CsvFolder(Connector):
    """Every *.csv in the folder (oldest name first); processed files move to done/, unreadable to failed/."""
    kind = "csv_folder"

    def folder(self, config: dict) -> Path:
        root = sync_root()
        path = (root / str(config.get("folder") or "")).resolve()
        if not str(config.get("folder") or "").strip() or not (path == root or root in path.parents):
            raise Invalid("folder", _("Enter a folder inside the sync directory %(root)s.", root=str(root)))
        return path

    def check(self, config: dict) -> None:
        if not self.folder(config).is_dir():
            raise Invalid("folder", _("The folder %(path)s does not exist.", path=str(self.folder(config))))

    async def chunks(self, config: dict) -> AsyncIterator[Chunk]:
        folder = self.folder(config)
        for path in sorted(folder.glob("*.csv")):
            def finish(ok: bool, path: Path = path) -> Awaitable[None]:
                return asyncio.to_thread(_move, path, folder / ("done" if ok else "failed"))

            try:
                data = await asyncio.to_thread(path.read_bytes)
                files.check_file(path.name, data, 100)
                sheet = await asyncio.to_thread(files.read_file, "csv", data)
            except Invalid as exc:
                yield Chunk(path.name, None, finish, exc.message)
                continue
            yield Chunk(path.name, sheet, finish)


def _move(path: Path, target: Path) -> None:
    target.mkdir(exist_ok=True)
    destination = target / path.name
    if destination.exists():
        destination = target / f"{path.stem}-{int(path.stat().st_mtime)}{path.suffix}"
    shutil.move(str(path), destination)


CONNECTORS: dict[str, Connector] = {c.kind: c for c in (SqlSource(), CsvFolder())}


# --- sources (rec_source) ---------------------------------------------------------------------------

def source_form(data: dict) -> Form:
    form = Form([
        Field("name", L("Name"), required=True, max_length=80),
        Field("kind", L("Kind"), "select", required=True, choices=[(k, v) for k, v in KINDS.items()]),
        Field("dsn", L("Connection URL"), max_length=500, placeholder="postgresql://user:password@host:5432/db",
              help=L("SQL sources: a PostgreSQL database the server can reach; use a read-only account.")),
        Field("query", L("Query"), "textarea", max_length=5000,
              help=L("SQL sources: one SELECT; name the columns like the import template (AS name, AS college).")),
        Field("folder", L("Folder"), max_length=300,
              help=L("CSV folders: a folder inside the sync directory; processed files move to done/ or failed/.")),
        Field("column_map", L("Column mapping"), "textarea", max_length=3000,
              placeholder="XM = name\nSFZH = id_number",
              help=L("One line per source column whose name differs from the import template: source column = "
                     "field (its key or template header).")),
        Field("every_minutes", L("Run every (minutes)"), "int", required=True, min_value=5, max_value=60 * 24 * 31),
        Field("on_duplicate", L("Rows matching an existing record"), "select", required=True,
              choices=[(k, v) for k, v in ON_DUPLICATE.items()]),
        Field("enabled", L("Enabled (runs on its schedule)"), "checkbox"),
    ], data=data)
    return form


def form_data_of(row: dict) -> dict:
    config = _json(row["config"])
    return {"name": row["name"], "kind": row["kind"], "dsn": config.get("dsn", ""), "query": config.get("query", ""),
            "folder": config.get("folder", ""), "every_minutes": str(row["every_minutes"]),
            "on_duplicate": config.get("on_duplicate", "skip"), "enabled": "on" if row["enabled"] else "",
            "column_map": "\n".join(f"{src} = {key}" for src, key in (config.get("column_map") or {}).items())}


async def _alumni_spec() -> imports.ImportSpec:
    from app.records.import_spec import ALUMNI  # the import spec imports this module's neighbours

    return await imports.ready(ALUMNI)


async def parse_column_map(text: str) -> dict[str, str]:
    """"source column = field" lines → {source column: import column key}; Invalid on an unknown field."""
    spec = await _alumni_spec()
    names = {name: col.key for col in spec.columns for name in files.column_names(col)}
    out: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        source, _sep, target = (part.strip() for part in line.partition("="))
        if not source or not target:
            raise Invalid("column_map", _("Line %(n)s: write it as source column = field.", n=number))
        key = names.get(files.normalize_header(target))
        if key is None:
            raise Invalid("column_map", _("Line %(n)s: %(field)s is not a field of the alumni import.", n=number,
                                          field=target))
        out[source] = key
    return out


def mapping_for(spec: imports.ImportSpec, headers: list[str], column_map: dict[str, str]) -> dict[str, int | None]:
    """The usual header matching, then the source's own lines on top (a mapped column serves one field only)."""
    mapping = files.auto_mapping(spec, headers)
    index = {files.normalize_header(h): i for i, h in enumerate(headers)}
    for source, key in column_map.items():
        i = index.get(files.normalize_header(source))
        if i is not None and key in mapping:
            mapping = {k: (None if v == i else v) for k, v in mapping.items()}
            mapping[key] = i
    return mapping


def _config(cleaned: dict, stored: dict | None) -> dict:
    config = {"on_duplicate": cleaned.get("on_duplicate") or "skip"}
    if cleaned["kind"] == "sql":  # an empty connection URL keeps the stored one (it is never shown)
        config.update(dsn=cleaned.get("dsn") or (stored or {}).get("dsn", ""), query=cleaned.get("query") or "")
    else:
        config.update(folder=cleaned.get("folder") or "")
    CONNECTORS[cleaned["kind"]].check(config)
    return config


def shown_dsn(dsn: str) -> str:
    """The connection URL without its password (list and log pages)."""
    head, at, tail = dsn.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return dsn
    scheme, _sep, userinfo = head.partition("//")
    return f"{scheme}//{userinfo.split(':', 1)[0]}:***@{tail}"


async def list_sources(req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM rec_source")
    rows = await db.fetch(
        "SELECT s.*, l.status AS last_status, l.created AS last_created, l.updated AS last_updated,"
        " l.failed AS last_failed FROM rec_source s LEFT JOIN LATERAL (SELECT * FROM rec_sync_log WHERE source = s.id"
        f" ORDER BY id DESC LIMIT 1) l ON TRUE ORDER BY s.name, s.id LIMIT {req.per_page} OFFSET {req.offset}")
    for r in rows:
        config = _json(r["config"])
        r["target"] = shown_dsn(config.get("dsn", "")) if r["kind"] == "sql" else config.get("folder", "")
    return Page(rows, total, req.page, req.per_page)


async def get_source(source_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM rec_source WHERE id = $1", source_id)
    if row is None:
        raise LookupError(source_id)
    row["config"] = _json(row["config"])
    return row


async def save_source(actor: Actor, source_id: int | None, cleaned: dict) -> int:
    """Create or update a source; Invalid(field, message) when its configuration is unusable."""
    config = _config(cleaned, (await get_source(source_id))["config"] if source_id else None)
    config["column_map"] = await parse_column_map(cleaned.get("column_map") or "")
    values = (cleaned["name"], cleaned["kind"], json.dumps(config, ensure_ascii=False), cleaned["every_minutes"],
              bool(cleaned.get("enabled")), actor.id)
    creating = not source_id
    async with db.transaction():
        if source_id:
            await get_source(source_id)
            await db.execute("UPDATE rec_source SET name = $2, kind = $3, config = $4::jsonb, every_minutes = $5,"
                             " enabled = $6, updated_by = $7, updated_at = now() WHERE id = $1", source_id, *values)
        else:
            source_id = await db.fetchval(
                "INSERT INTO rec_source (name, kind, config, every_minutes, enabled, created_by, updated_by)"
                " VALUES ($1, $2, $3::jsonb, $4, $5, $6, $6) RETURNING id", *values)
        safe = {k: v for k, v in config.items() if k != "dsn"}
        await audit.record(actor, "create" if creating else "update", "rec_source", source_id,
                           summary=cleaned["name"], after={**safe, "every_minutes": cleaned["every_minutes"]})
    return source_id


async def delete_source(actor: Actor, source_id: int) -> None:
    async with db.transaction():
        row = await get_source(source_id)
        await db.execute("DELETE FROM rec_source WHERE id = $1", source_id)
        await audit.record(actor, "delete", "rec_source", source_id, summary=row["name"])


async def run_now(actor: Actor, source_id: int) -> int:
    """Queue a run of the source; returns the job id."""
    row = await get_source(source_id)
    async with db.transaction():
        job_id = await jobs.enqueue("rec.sync", {"source": source_id, "by": actor.id},
                                    dedupe_key=f"rec.sync:{source_id}:manual:{await db.fetchval('SELECT now()')}",
                                    created_by=actor.id)
        await audit.record(actor, "run", "rec_source", source_id, summary=row["name"])
    return job_id


async def list_logs(req: PageRequest, source_id: int | None = None) -> Page:
    where, args = ("WHERE l.source = $1", [source_id]) if source_id else ("", [])
    total = await db.fetchval(f"SELECT count(*) FROM rec_sync_log l {where}", *args)
    rows = await db.fetch(f"SELECT l.*, s.name AS source_name FROM rec_sync_log l JOIN rec_source s ON s.id = l.source"
                          f" {where} ORDER BY l.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page)


# --- running ----------------------------------------------------------------------------------------

async def _counts(batch_id: int) -> dict:
    return await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'imported' AND data->>'action' = 'created') AS created,"
        " count(*) FILTER (WHERE status = 'imported' AND data->>'action' = 'updated') AS updated,"
        " count(*) FILTER (WHERE status = 'skipped') AS skipped, count(*) FILTER (WHERE status = 'error') AS failed"
        " FROM import_row WHERE batch = $1", batch_id)


async def run_source(source_id: int, ctx: jobs.JobContext | None = None, user_id: int | None = None) -> int:
    """Fetch and apply one source now (inside a job); returns the rec_sync_log id."""
    from app.records.import_spec import ALUMNI

    source = await get_source(source_id)
    actor = await imports.actor_for(user_id or source["updated_by"] or source["created_by"], "")
    log_id = await db.fetchval("INSERT INTO rec_sync_log (source) VALUES ($1) RETURNING id", source_id)
    await db.execute("UPDATE rec_source SET last_run_at = now() WHERE id = $1", source_id)
    totals = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
    notes: list[str] = []
    last_batch, status = None, "done"
    try:
        connector = CONNECTORS[source["kind"]]
        connector.check(source["config"])
        async for chunk in connector.chunks(source["config"]):
            if chunk.sheet is None:
                notes.append(f"{chunk.name}: {chunk.error}")
                await chunk.finish(False)
                continue
            try:
                mapping = mapping_for(await _alumni_spec(), chunk.sheet.headers,
                                      source["config"].get("column_map") or {})
                batch = await imports.import_now(ALUMNI, f"{source['name']}: {chunk.name}"[:200], chunk.sheet, actor,
                                                 duplicate_choice=source["config"].get("on_duplicate", "skip"),
                                                 mapping=mapping, ctx=ctx)
            except Invalid as exc:
                notes.append(f"{chunk.name}: {exc.message}")
                await chunk.finish(False)
                continue
            last_batch = batch["id"]
            counts = await _counts(batch["id"])
            for key in totals:
                totals[key] += counts[key]
            notes.append(_("%(name)s: import batch #%(id)s", name=chunk.name, id=batch["id"]))
            await chunk.finish(True)
        if not notes:
            notes.append(_("The source had no rows."))
    except Invalid as exc:
        status, notes = "failed", [*notes, exc.message]
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        status, notes = "failed", [*notes, _("The source could not be read: %(error)s", error=str(exc)[:300])]
    except Exception as exc:
        status, notes = "failed", [*notes, str(exc)[:300]]
    await db.execute(
        "UPDATE rec_sync_log SET finished_at = now(), status = $2, created = $3, updated = $4, skipped = $5,"
        " failed = $6, message = $7, batch = $8 WHERE id = $1", log_id, status, totals["created"], totals["updated"],
        totals["skipped"], totals["failed"], "\n".join(notes)[:4000], last_batch)
    return log_id


async def due_sources() -> list[int]:
    rows = await db.fetch("SELECT id FROM rec_source WHERE enabled AND (last_run_at IS NULL OR"
                          " last_run_at + make_interval(mins => every_minutes) <= now()) ORDER BY id")
    return [r["id"] for r in rows]


async def run_job(source_id: int, ctx: jobs.JobContext, user_id: int | None = None) -> dict:
    """The rec.sync job: one run of the source; the result is its log row's counts."""
    log_id = await run_source(source_id, ctx, user_id)
    row = await db.fetchrow("SELECT status, created, updated, skipped, failed FROM rec_sync_log WHERE id = $1", log_id)
    return {"log": log_id, **row}


async def queue_due() -> list[int]:
    """The periodic rec.sync_due: one rec.sync job per due source and slot (the slot is its last run), so
    several workers queue each run once; returns the job ids (a slot already queued answers its job)."""
    queued = []
    for source_id in await due_sources():
        slot = await db.fetchval("SELECT COALESCE(last_run_at::text, 'never') FROM rec_source WHERE id = $1", source_id)
        queued.append(await jobs.enqueue("rec.sync", {"source": source_id}, dedupe_key=f"rec.sync:{source_id}:{slot}"))
    return queued

"""The template to fill in, and an uploaded file stored as a new batch of raw rows."""
from __future__ import annotations

import asyncio
import json

from app.core import audit, db, settings_store
from app.core import import_files as files
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.imports.specs import ImportSpec, ready
from app.core.permissions import PermissionDenied

ANALYZE_ROWS = 5000  # an upload this big refreshes import_row's planner statistics


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
    return await store_sheet(spec, filename, sheet, actor)


async def store_sheet(spec: ImportSpec, filename: str, sheet: files.SheetData, actor: Actor,
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

"""The change log of person records (更新日志, REC-16): one row per changed field, grouped in batches
so an import, merge, sync or batch update can be rolled back as one. Every writer of person data
calls `log_fields`/`log_row` in its own transaction, passing the row as it was before the write: its
update stamps (updated_at/updated_by) go into `old_stamp`, so a rollback puts them back too."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.core import db
from app.core.audit import Actor

METHODS = ("manual", "import", "sync", "merge", "batch_update", "self", "auto", "rollback")
UPDATE_STAMP = ("updated_at", "updated_by")
ROW_STAMP = ("created_at", "created_by", "updated_at", "updated_by")  # a deleted row comes back with all four


def to_json(value: Any) -> str | None:
    """A value as JSON text for a jsonb parameter (dates as ISO text, decimals as numbers); None stays NULL."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(v: Any) -> Any:
    """What json cannot write itself (called only for those values, not for every string)."""
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


def stamp(row: dict | None, keys: tuple[str, ...] = UPDATE_STAMP) -> str | None:
    """The stamps of a row before a write, as the change log keeps them (None when the row has none)."""
    if not row:
        return None
    return to_json({k: row[k] for k in keys if k in row}) if any(k in row for k in keys) else None


async def open_batch(actor: Actor, kind: str, summary: str = "", ref: str = "") -> int:
    return await db.fetchval("INSERT INTO rec_batch (kind, summary, actor, actor_name, ref) VALUES ($1, $2, $3, $4, $5)"
                             " RETURNING id", kind, summary[:300], actor.id, actor.name, ref)


async def log_fields(actor: Actor, person_id: int, method: str, before: dict, after: dict, *,
                     section: str = "basic", row_id: int | None = None, batch: int | None = None,
                     was: dict | None = None) -> list[str]:
    """One change row per field whose value differs; returns the changed field names. `was`: the row
    before the write (its update stamps are kept for rollback)."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    if changed:
        await db.execute(
            "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name,"
            " old_stamp) SELECT $1, $2, $3, $4, $5, f, o::jsonb, n::jsonb, $6, $7, $11::jsonb"
            " FROM unnest($8::text[], $9::text[], $10::text[]) AS t(f, o, n)",
            person_id, batch, method, section, row_id, actor.id, actor.name, changed,
            [to_json(before.get(k)) for k in changed], [to_json(after.get(k)) for k in changed], stamp(was))
    return changed


async def log_row(actor: Actor, person_id: int, method: str, section: str, row_id: int | None,
                  old: dict | None, new: dict | None, batch: int | None = None, *, was: dict | None = None) -> None:
    """A whole row created (old None) or deleted (new None): the person itself or a section row. `was`:
    the deleted row as it was (its created/updated stamps come back with it on rollback)."""
    await db.execute(
        "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name,"
        " old_stamp) VALUES ($1, $2, $3, $4, $5, '', $6::jsonb, $7::jsonb, $8, $9, $10::jsonb)",
        person_id, batch, method, section, row_id, to_json(old), to_json(new), actor.id, actor.name,
        stamp(was, ROW_STAMP))

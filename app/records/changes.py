"""The change log of person records (更新日志, REC-16): one row per changed field, grouped in batches
so an import, merge, sync or batch update can be rolled back as one. Every writer of person data
calls `log_fields`/`log_row` in its own transaction."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.core import db
from app.core.audit import Actor

METHODS = ("manual", "import", "sync", "merge", "batch_update", "self", "auto", "rollback")


def _json(value: Any) -> str | None:
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


async def open_batch(actor: Actor, kind: str, summary: str = "", ref: str = "") -> int:
    return await db.fetchval("INSERT INTO rec_batch (kind, summary, actor, actor_name, ref) VALUES ($1, $2, $3, $4, $5)"
                             " RETURNING id", kind, summary[:300], actor.id, actor.name, ref)


async def log_fields(actor: Actor, person_id: int, method: str, before: dict, after: dict, *,
                     section: str = "basic", row_id: int | None = None, batch: int | None = None) -> list[str]:
    """One change row per field whose value differs; returns the changed field names."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    if changed:
        await db.execute(
            "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name)"
            " SELECT $1, $2, $3, $4, $5, f, o::jsonb, n::jsonb, $6, $7"
            " FROM unnest($8::text[], $9::text[], $10::text[]) AS t(f, o, n)",
            person_id, batch, method, section, row_id, actor.id, actor.name, changed,
            [_json(before.get(k)) for k in changed], [_json(after.get(k)) for k in changed])
    return changed


async def log_row(actor: Actor, person_id: int, method: str, section: str, row_id: int | None,
                  old: dict | None, new: dict | None, batch: int | None = None) -> None:
    """A whole row created (old None) or deleted (new None): the person itself or a section row."""
    await db.execute(
        "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name)"
        " VALUES ($1, $2, $3, $4, $5, '', $6::jsonb, $7::jsonb, $8, $9)",
        person_id, batch, method, section, row_id, _json(old), _json(new), actor.id, actor.name)

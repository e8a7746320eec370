"""Reading the update log (REC-16): every change with operator, time, method and diff, and the batches,
limited to persons in the viewer's data scope and clearance, with personal values masked."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from app.core import db, sqlfilter
from app.core.audit import Actor
from app.core.masking import shown
from app.core.pagination import Page, PageRequest
from app.records import changes, fields, service

BATCH_KINDS = ("manual", "import", "sync", "merge", "batch_update", "auto", "rollback")
SORTS = {"at": "c.at", "id": "c.id"}


@dataclass
class ChangeFilters:
    method: str = ""
    operator: str = ""
    person: int | None = None
    batch: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    errors: dict | None = None

    @classmethod
    def from_query(cls, params) -> ChangeFilters:
        values, errors = sqlfilter.dates(params, "from", "to")
        return cls(sqlfilter.choice(params, "method", changes.METHODS), sqlfilter.text(params, "operator", 64),
                   sqlfilter.number(params, "person"), sqlfilter.number(params, "batch"),
                   values["from"], values["to"], errors)


def _scope(actor: Actor, args: list) -> str:
    """Changes of persons the viewer may see (merged ones too: their history stays readable)."""
    if actor.scope.all and service.clearance(actor) >= service.MAX_SECRECY:
        return "TRUE"
    return f"({actor.scope.sql('p.org', None, args)} AND p.secrecy <= {service.clearance(actor)})"


def _value(actor: Actor, field: str, raw) -> str:
    if raw is None:
        return ""
    value = json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(actor, k, json.dumps(v))}" for k, v in value.items()
                         if v not in (None, "", [], {}))
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if field in ("name", "phone", "email", "id_number"):
        return shown(actor, field, text)
    return text[:200]


async def _labels() -> dict[str, str]:
    return {f.code: f.title for f in await fields.catalogue()}


async def _decorate(actor: Actor, rows: list[dict]) -> list[dict]:
    labels = await _labels()
    for r in rows:
        code = r["field"].removeprefix("custom.")
        r["field_label"] = labels.get(code, r["field"])
        r["old_text"] = _value(actor, code, r["old"])
        r["new_text"] = _value(actor, code, r["new"])
        if r.get("person_name"):
            r["person_name"] = shown(actor, "name", r["person_name"])
    return rows


async def list_changes(actor: Actor, f: ChangeFilters, req: PageRequest) -> Page:
    args: list = []
    where = sqlfilter.Where(args, _scope(actor, args))
    where.equals("c.method", f.method)
    where.contains("c.actor_name", f.operator)
    where.equals("c.person", f.person)
    where.equals("c.batch", f.batch)
    where.date_range("c.at", f.date_from, f.date_to)
    sql_where = where.sql()
    total = await db.fetchval(f"SELECT count(*) FROM rec_change c LEFT JOIN rec_person p ON p.id = c.person"
                              f" WHERE {sql_where}", *args)
    order = req.order_by(SORTS, "c.id DESC").replace(", id", ", c.id")
    rows = await db.fetch(f"SELECT c.*, p.name AS person_name, b.kind AS batch_kind FROM rec_change c"
                          f" LEFT JOIN rec_person p ON p.id = c.person LEFT JOIN rec_batch b ON b.id = c.batch"
                          f" WHERE {sql_where} {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(await _decorate(actor, rows), total, req.page, req.per_page, req.sort)


async def list_batches(actor: Actor, kind: str, status: str, req: PageRequest) -> Page:
    """Batches with at least one change the viewer may see (or none at all yet, for all-scope viewers)."""
    args: list = []
    where = sqlfilter.Where(args)
    where.equals("b.kind", kind if kind in BATCH_KINDS else "")
    where.equals("b.status", status if status in ("done", "rolled_back") else "")
    scope = _scope(actor, args)
    if scope != "TRUE":
        where.add(f"EXISTS (SELECT 1 FROM rec_change c JOIN rec_person p ON p.id = c.person WHERE c.batch = b.id"
                  f" AND {scope})")
    sql_where = where.sql()
    total = await db.fetchval(f"SELECT count(*) FROM rec_batch b WHERE {sql_where}", *args)
    rows = await db.fetch(f"SELECT b.*, (SELECT count(*) FROM rec_change c WHERE c.batch = b.id) AS changes,"
                          f" (SELECT count(DISTINCT c.person) FROM rec_change c WHERE c.batch = b.id) AS persons"
                          f" FROM rec_batch b WHERE {sql_where} ORDER BY b.id DESC"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page)


async def get_batch(actor: Actor, batch_id: int) -> dict | None:
    args: list = [batch_id]
    scope = _scope(actor, args)
    row = await db.fetchrow(
        f"SELECT b.*, (SELECT count(*) FROM rec_change c WHERE c.batch = b.id) AS changes FROM rec_batch b"
        f" WHERE b.id = $1 AND (NOT EXISTS (SELECT 1 FROM rec_change c WHERE c.batch = b.id) OR"
        f" EXISTS (SELECT 1 FROM rec_change c JOIN rec_person p ON p.id = c.person WHERE c.batch = b.id AND {scope})"
        f" OR {'TRUE' if scope == 'TRUE' else 'FALSE'})", *args)
    return row


async def get_change(actor: Actor, change_id: int) -> dict | None:
    args: list = [change_id]
    rows = await db.fetch(f"SELECT c.*, p.name AS person_name FROM rec_change c LEFT JOIN rec_person p"
                          f" ON p.id = c.person WHERE c.id = $1 AND {_scope(actor, args)}", *args)
    return (await _decorate(actor, rows))[0] if rows else None

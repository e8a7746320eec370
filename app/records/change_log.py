"""Reading the update log (REC-16): every change with operator, time, method and diff, and the batches,
limited to persons in the viewer's data scope and clearance, with personal values masked."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from app.core import db, sqlfilter
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import shown
from app.core.pagination import Page, PageRequest
from app.records import changes, fields, labels, person_forms, visibility

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


def scope_sql(actor: Actor, args: list) -> str:
    """WHERE fragment over rec_person p: changes of persons the viewer may see (merged ones too: their history
    stays readable); "TRUE" for a viewer who sees every record."""
    if actor.scope.all and visibility.clearance(actor) >= visibility.MAX_SECRECY:
        return "TRUE"
    return f"({actor.scope.sql('p.org', None, args)} AND p.secrecy <= {visibility.clearance(actor)})"


# keys of logged rows (education, work, contact log, archive file) that are not catalogue fields
ROW_KEYS = {"org": L("Owning org"), "class_node": L("Class"), "summary": L("Summary"), "title": L("Title"),
            "filename": L("File"), "start_date": L("From"), "end_date": L("To"), "is_current": L("Current")}
HIDDEN_KEYS = {"name_terms", "storage_key", "content_type", "size"}  # internal columns of a logged row
ORG_KEYS = ("org", "college", "class_node")  # org_node ids, shown by name
FILE_KINDS = {"photo": L("Archive photo"), "file": L("Archive file")}


class _Words:
    """Stored values of the log as a reader expects them: field labels, dictionary and choice codes as
    names, org ids as org names, yes/no; personal data masked for the viewer."""

    def __init__(self, actor: Actor, specs: dict[str, fields.FieldSpec], names: dict, orgs: dict[int, str]):
        self.actor, self.specs, self.names, self.orgs = actor, specs, names, orgs
        self.methods = dict(person_forms.contact_methods())

    def key_label(self, key: str) -> str:
        spec = self.specs.get(key.removeprefix("custom."))
        return spec.title if spec else str(ROW_KEYS.get(key, key))

    def text(self, section: str, field: str, raw) -> str:
        """A logged value (JSON text) as shown."""
        if raw is None:
            return ""
        return self._value(section, field, json.loads(raw) if isinstance(raw, str) else raw)

    def _value(self, section: str, field: str, value) -> str:
        if isinstance(value, dict):  # a whole row (or the custom values) created or deleted
            return ", ".join(f"{self.key_label(k)}: {self._value(section, k, v)}" for k, v in value.items()
                             if v not in (None, "", [], {}) and k not in HIDDEN_KEYS)
        return self._one(section, field.removeprefix("custom."), value)[:200]

    def _one(self, section: str, code: str, value) -> str:
        if code in ("name", "phone", "email", "id_number"):
            return shown(self.actor, code, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
        if code in ORG_KEYS and isinstance(value, int):
            return self.orgs.get(value, f"#{value}")
        if section == "contact" and code == "method":
            return self.methods.get(value, str(value))
        if section == "file" and code == "kind":
            return labels.word(FILE_KINDS, value)
        spec = self.specs.get(code)
        if spec and spec.dict_type:
            return labels.codes_text(self.names.get(spec.dict_type, {}), value, spec.dict_type)
        if spec and spec.choices:
            return dict(spec.choices).get(str(value), str(value))
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _org_ids(rows: list[dict]) -> set[int]:
    found: set[int] = set()
    for r in rows:
        for raw in (r["old"], r["new"]):
            value = json.loads(raw) if isinstance(raw, str) else raw
            if r["field"] in ORG_KEYS and isinstance(value, int):
                found.add(value)
            elif isinstance(value, dict):
                found.update(v for k, v in value.items() if k in ORG_KEYS and isinstance(v, int))
    return found


async def _decorate(actor: Actor, rows: list[dict]) -> list[dict]:
    specs = {f.code: f for f in await fields.catalogue()}
    ids = _org_ids(rows)
    orgs = {r["id"]: r["name"] for r in await db.fetch("SELECT id, name FROM org_node WHERE id = ANY($1::bigint[])",
                                                         list(ids))} if ids else {}
    words = _Words(actor, specs, await labels.name_maps(s.dict_type for s in specs.values()), orgs)
    for r in rows:
        r["field_label"] = words.key_label(r["field"]) if r["field"] else ""
        r["old_text"] = words.text(r["section"], r["field"], r["old"])
        r["new_text"] = words.text(r["section"], r["field"], r["new"])
        r["method_label"] = labels.word(labels.METHOD_LABELS, r["method"])
        r["section_label"] = labels.word(labels.SECTION_LABELS, r["section"])
        if r.get("person_name"):
            r["person_name"] = shown(actor, "name", r["person_name"])
    return rows


async def list_changes(actor: Actor, f: ChangeFilters, req: PageRequest) -> Page:
    args: list = []
    where = sqlfilter.Where(args, scope_sql(actor, args))
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
    scope = scope_sql(actor, args)
    if scope != "TRUE":
        where.add(f"EXISTS (SELECT 1 FROM rec_change c JOIN rec_person p ON p.id = c.person WHERE c.batch = b.id"
                  f" AND {scope})")
    sql_where = where.sql()
    total = await db.fetchval(f"SELECT count(*) FROM rec_batch b WHERE {sql_where}", *args)
    rows = await db.fetch(f"SELECT b.*, (SELECT count(*) FROM rec_change c WHERE c.batch = b.id) AS changes,"
                          f" (SELECT count(DISTINCT c.person) FROM rec_change c WHERE c.batch = b.id) AS persons"
                          f" FROM rec_batch b WHERE {sql_where} ORDER BY b.id DESC"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    for r in rows:
        r["kind_label"] = labels.word(labels.METHOD_LABELS, r["kind"])
    return Page(rows, total, req.page, req.per_page)


async def get_batch(actor: Actor, batch_id: int) -> dict | None:
    args: list = [batch_id]
    scope = scope_sql(actor, args)
    row = await db.fetchrow(
        f"SELECT b.*, (SELECT count(*) FROM rec_change c WHERE c.batch = b.id) AS changes FROM rec_batch b"
        f" WHERE b.id = $1 AND (NOT EXISTS (SELECT 1 FROM rec_change c WHERE c.batch = b.id) OR"
        f" EXISTS (SELECT 1 FROM rec_change c JOIN rec_person p ON p.id = c.person WHERE c.batch = b.id AND {scope})"
        f" OR {'TRUE' if scope == 'TRUE' else 'FALSE'})", *args)
    if row is not None:
        row["kind_label"] = labels.word(labels.METHOD_LABELS, row["kind"])
    return row


async def get_change(actor: Actor, change_id: int) -> dict | None:
    args: list = [change_id]
    rows = await db.fetch(f"SELECT c.*, p.name AS person_name FROM rec_change c LEFT JOIN rec_person p"
                          f" ON p.id = c.person WHERE c.id = $1 AND {scope_sql(actor, args)}", *args)
    return (await _decorate(actor, rows))[0] if rows else None

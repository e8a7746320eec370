"""Export of alumni records (REC-10): the selected rows (ids) or everything the list's current filter
finds (same query string as /admin/records, through api.filter_where, so scope and secrecy are in
the SQL), columns chosen from the field catalogue, xlsx or csv through app.core.exports, personal
fields masked for the viewer (visibility.mask_row), every export audited. Big exports run as a job."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from app.core import audit, db, dictionary, exports, imports, jobs
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.core.storage import storage
from app.records import api, fields, labels, tree, visibility

INLINE_LIMIT = 2000  # more rows than this: a background job writes the file
CHUNK = 1000
FORMATS = ("xlsx", "csv")
HIDDEN = {"key_category"}  # needs rec.key.view


@dataclass
class ExportRequest:
    filters: api.PersonFilters
    ids: list[int] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    fmt: str = "xlsx"
    education: dict[str, Any] = field(default_factory=dict)  # the list's tree path (major, class, degree…)

    @classmethod
    def from_params(cls, params) -> ExportRequest:
        """Query string or form: the list's filters and tree path, `ids` (selected rows), `cols`, `format`."""
        getall = params.getall if hasattr(params, "getall") else (lambda k, d=(): params.get(k, d))
        ids = [int(v) for v in _many(getall("ids", [])) if str(v).isdigit() and len(str(v)) < 12]
        cols = [str(v) for v in _many(getall("cols", []))]
        fmt = params.get("format") if params.get("format") in FORMATS else "xlsx"
        return cls(api.PersonFilters.from_query(params), ids, cols, fmt, tree.education_values(params))

    def payload(self) -> dict:
        f = self.filters
        return {"filters": {"q": f.q, "kind": f.kind, "college": f.college, "entry_year": f.entry_year, "org": f.org,
                            "tag": f.tag, "is_key": f.is_key},
                "ids": self.ids, "columns": self.columns, "fmt": self.fmt, "education": self.education}

    @classmethod
    def from_payload(cls, data: dict) -> ExportRequest:
        return cls(api.PersonFilters(**data["filters"]), data["ids"], data["columns"], data["fmt"],
                   data.get("education") or {})

    def hidden_fields(self) -> list[tuple[str, Any]]:
        """The filters as (name, value) pairs: the export form's hidden fields and the list's export link."""
        f = self.filters
        pairs = [("q", f.q), ("kind", f.kind), ("college", f.college), ("entry_year", f.entry_year), ("org", f.org),
                 ("tag", f.tag), ("key", "1" if f.is_key else "")]
        pairs += [(k, v) for k, v in self.education.items() if k not in ("college", "entry_year")]
        return [(k, v) for k, v in pairs if v] + [("ids", i) for i in self.ids]


def list_export_url(params) -> str:
    """The export page for what the alumni list shows now: its filters, tree path and chosen columns
    (the list names the college column by its row key)."""
    req = ExportRequest.from_params(params)
    codes = [{"college_name": "college"}.get(k, k) for k in req.columns]
    query = urlencode(req.hidden_fields() + [("cols", c) for c in codes])
    return "/admin/records/export" + ("?" + query if query else "")


def _many(value: Any) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, (list, tuple)) else [value]


async def available_columns(actor: Actor) -> list[fields.FieldSpec]:
    return [f for f in await fields.catalogue()
            if f.kind != "file" and (f.code not in HIDDEN or actor.can("rec.key.view"))]


async def chosen_columns(actor: Actor, req: ExportRequest) -> list[fields.FieldSpec]:
    specs = await available_columns(actor)
    picked = [f for f in specs if f.code in set(req.columns)]
    if req.columns and not picked:
        raise Invalid("cols", _("Choose at least one column."))
    return picked or [f for f in specs if f.list_default]


def _where(actor: Actor, req: ExportRequest, args: list) -> str:
    """The list's WHERE (tree.list_where: every education condition on one education record), so the
    export finds exactly the rows the list showed. `args` must be empty: it receives the parameters."""
    f = req.filters
    path = {k: str(v) for k, v in {"college": f.college, "entry_year": f.entry_year, **req.education}.items()
            if v not in (None, "")}
    where = tree.list_where(actor, f, path)
    if req.ids:
        where.add(f"p.id = ANY({where.param(req.ids)}::bigint[])")
    sql = where.sql()
    args.extend(where.args)
    return sql


async def count(actor: Actor, req: ExportRequest) -> int:
    args: list = []
    return await db.fetchval(f"SELECT count(*) FROM rec_person p WHERE {_where(actor, req, args)}", *args)


class Formatter:
    """Stored values → what a reader of the file expects: labels for codes, college names, masked data."""

    def __init__(self, actor: Actor, specs: list[fields.FieldSpec]):
        self.actor, self.specs, self.labels = actor, specs, {}

    async def load(self) -> Formatter:
        for spec in self.specs:
            if spec.dict_type and spec.dict_type not in self.labels:
                self.labels[spec.dict_type] = await dictionary.label_map(spec.dict_type)
        return self

    def value(self, spec: fields.FieldSpec, row: dict) -> Any:
        raw = row["custom"].get(spec.code) if spec.custom else row.get(spec.code)
        if spec.code == "college":
            return row.get("college_name") or ""
        if raw in (None, ""):
            return ""
        if spec.dict_type:
            names = self.labels.get(spec.dict_type, {})
            return labels.codes_text(names, raw, spec.dict_type)
        if spec.choices:
            return dict(spec.choices).get(str(raw), str(raw))
        if spec.kind == "date" and isinstance(raw, str):
            try:
                return date.fromisoformat(raw[:10])
            except ValueError:
                return raw
        return raw

    def row(self, raw: dict) -> dict:
        raw["custom"] = api.decode_jsonb(raw["custom"])
        visibility.mask_row(self.actor, raw)
        if not self.actor.can("rec.key.view"):
            raw["key_category"] = ""
        return {spec.code: self.value(spec, raw) for spec in self.specs}


async def rows(actor: Actor, req: ExportRequest, formatter: Formatter, ctx: jobs.JobContext | None = None,
               total: int = 0) -> list[dict]:
    """Every matching row, loaded CHUNK at a time in id order (keyset: no OFFSET over big tables)."""
    out, after = [], 0
    while True:
        args: list = []
        where = _where(actor, req, args)
        args.append(after)
        batch = await db.fetch(f"SELECT p.*, pe.* FROM rec_person p {api.PRIMARY_EDUCATION} WHERE {where}"
                               f" AND p.id > ${len(args)} ORDER BY p.id LIMIT {CHUNK}", *args)
        if not batch:
            return out
        after = batch[-1]["id"]
        out += [formatter.row(r) for r in batch]
        if ctx is not None:
            await ctx.progress(len(out), total, _("%(done)s of %(total)s rows", done=len(out), total=total))


async def build(actor: Actor, req: ExportRequest, ctx: jobs.JobContext | None = None) -> tuple[str, bytes, int]:
    """(file name, file content, rows) — audited."""
    if not actor.can("rec.export"):
        raise PermissionDenied("rec.export")
    specs = await chosen_columns(actor, req)
    total = await count(actor, req)
    data = await rows(actor, req, await Formatter(actor, specs).load(), ctx, total)
    columns = [(s.code, s.title) for s in specs]
    content = exports.export_rows(columns, data, req.fmt, watermark=exports.watermark_text(actor))
    await audit.record(actor, "export", "rec_person", "", summary=f"{len(data)} rows, {req.fmt}",
                       after={**req.payload(), "columns": [s.code for s in specs], "rows": len(data)})
    return f"{_('Alumni records')}-{date.today().isoformat()}.{req.fmt}", content, len(data)


async def start_job(actor: Actor, req: ExportRequest) -> int:
    await chosen_columns(actor, req)  # refuse bad input now, not in the job
    return await jobs.enqueue("rec.export", req.payload(), created_by=actor.id)


async def run_job(ctx: jobs.JobContext) -> dict:
    """The rec.export job: builds the file with its requester's rights as of now and keeps it in storage."""
    job = await jobs.get(ctx.id)
    actor = await imports.actor_for(job["created_by"], "")
    filename, content, count = await build(actor, ExportRequest.from_payload(ctx.payload), ctx)
    key = f"exports/rec-{ctx.id}.{ctx.payload['fmt']}"
    storage().put(key, content)
    return {"key": key, "filename": filename, "rows": count}


async def job_for(actor: Actor, job_id: int) -> dict:
    """An export job of this user (LookupError otherwise), with its decoded result."""
    job = await jobs.get(job_id)
    if job is None or job["kind"] != "rec.export" or job["created_by"] != actor.id:
        raise LookupError(job_id)
    job["result"] = json.loads(job["result"]) if isinstance(job["result"], str) else job["result"]
    return job

"""Batch update (REC-13): set one or more fields on every person matching the list filters, as one
batch. Each field is one set-based UPDATE whose change-log rows are written by the same statement
(INSERT … SELECT over the updated rows), so 100,000 persons cost a few statements, not 100,000. Each
change row keeps the person's update stamps from before (rollback puts them back)."""
from __future__ import annotations

from datetime import date
from typing import Any

from app.core import audit, db, dictionary
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.records import changes, fields, visibility
from app.records.api import PersonFilters, filter_where

# Never set in bulk: identity values that must stay unique per person, and computed ones.
EXCLUDED = ("name", "id_number", "created_at", "phone", "email")
# The person's update stamps before the write, as changes.stamp() writes them for the change log.
STAMP_SQL = "jsonb_build_object('updated_at', p.updated_at, 'updated_by', p.updated_by)"


async def updatable_fields() -> list[fields.FieldSpec]:
    return [f for f in await fields.catalogue()
            if not f.per_education and f.code not in EXCLUDED and f.kind != "file"]


async def count_targets(actor: Actor, filters: PersonFilters) -> int:
    args: list = []
    return await db.fetchval(f"SELECT count(*) FROM rec_person p WHERE {filter_where(actor, filters, args).sql()}",
                             *args)


async def parse_value(actor: Actor, spec: fields.FieldSpec, raw: Any) -> Any:
    """The typed value for a field from form input; Invalid(code, message) when it does not fit."""
    if spec.kind == "multiselect":
        values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v or "").strip()]
        allowed = {k for k, _label in await dictionary.choices(spec.dict_type)} if spec.dict_type else None
        if allowed is not None and not set(values) <= allowed:
            raise Invalid(spec.code, _("Choose values from the list."))
        return values
    text = str(raw[-1] if isinstance(raw, list) and raw else raw or "").strip()
    if spec.kind == "bool":
        return text in ("1", "on", "true", "yes")
    if not text:
        return None if spec.kind in ("date", "number") or spec.custom else ""
    if spec.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Invalid(spec.code, _("Enter a date as YYYY-MM-DD.")) from None
    if spec.kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise Invalid(spec.code, _("Enter a number.")) from None
        return int(number) if number.is_integer() else number
    if spec.choices and text not in dict(spec.choices):
        raise Invalid(spec.code, _("Choose a value from the list."))
    if spec.dict_type and text not in {k for k, _label in await dictionary.choices(spec.dict_type)}:
        raise Invalid(spec.code, _("Choose a value from the list."))
    if spec.code == "secrecy":
        if int(text) > visibility.clearance(actor):
            raise Invalid("secrecy", _("You cannot set a secrecy level above your own clearance."))
        return int(text)
    return text[:200]


async def parse_values(actor: Actor, data: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    """Values for the chosen fields; all messages at once (Invalid for the first, errors in .errors)."""
    specs = {f.code: f for f in await updatable_fields()}
    values, errors = {}, {}
    for code in codes:
        spec = specs.get(code)
        if spec is None:
            errors[code] = _("This field cannot be batch updated.")
            continue
        try:
            values[code] = await parse_value(actor, spec, data.get(f"v_{code}"))
        except Invalid as exc:
            errors[code] = exc.message
    if not codes:
        errors["fields"] = _("Choose at least one field to set.")
    if errors:
        exc = Invalid(next(iter(errors)), next(iter(errors.values())))
        exc.errors = errors  # type: ignore[attr-defined]
        raise exc
    return values


async def _set_column(actor: Actor, where_sql: str, args: list, column: str, value: Any, batch: int) -> int:
    n = len(args)
    rows = await db.fetch(
        f"WITH t AS (SELECT p.id, to_jsonb(p.{column}) AS old, {STAMP_SQL} AS stamp FROM rec_person p"
        f" WHERE {where_sql} AND p.{column} IS DISTINCT FROM ${n + 1} FOR UPDATE OF p),"
        f" u AS (UPDATE rec_person p SET {column} = ${n + 1}, updated_at = now(), updated_by = ${n + 2}"
        f" FROM t WHERE p.id = t.id RETURNING p.id, to_jsonb(p.{column}) AS new)"
        f" INSERT INTO rec_change (person, batch, method, section, field, old, new, actor, actor_name, old_stamp)"
        f" SELECT t.id, ${n + 3}, 'batch_update', 'basic', '{column}', t.old, u.new, ${n + 2}, ${n + 4}, t.stamp"
        f" FROM t JOIN u ON u.id = t.id RETURNING person", *args, value, actor.id, batch, actor.name)
    return len(rows)


async def _set_custom(actor: Actor, where_sql: str, args: list, code: str, value: Any, batch: int) -> int:
    n = len(args)
    rows = await db.fetch(
        f"WITH t AS (SELECT p.id, p.custom -> ${n + 5}::text AS old, {STAMP_SQL} AS stamp FROM rec_person p"
        f" WHERE {where_sql} AND (p.custom -> ${n + 5}::text) IS DISTINCT FROM ${n + 1}::jsonb FOR UPDATE OF p),"
        f" u AS (UPDATE rec_person p SET custom = jsonb_set(COALESCE(p.custom, '{{}}'), ARRAY[${n + 5}::text],"
        f" ${n + 1}::jsonb), updated_at = now(), updated_by = ${n + 2} FROM t WHERE p.id = t.id RETURNING p.id)"
        f" INSERT INTO rec_change (person, batch, method, section, field, old, new, actor, actor_name, old_stamp)"
        f" SELECT t.id, ${n + 3}, 'batch_update', 'basic', 'custom.' || ${n + 5}::text, t.old, ${n + 1}::jsonb,"
        f" ${n + 2}, ${n + 4}, t.stamp FROM t JOIN u ON u.id = t.id RETURNING person",
        *args, changes.to_json(value) or "null", actor.id, batch, actor.name, code)
    return len(rows)


async def apply(actor: Actor, filters: PersonFilters, values: dict[str, Any]) -> tuple[int, int]:
    """Set the values on every visible person matching the filters; returns (batch id, persons changed)."""
    if not values:
        raise Invalid("fields", _("Choose at least one field to set."))
    specs = {f.code: f for f in await updatable_fields()}
    async with db.transaction():
        total = await count_targets(actor, filters)
        batch = await changes.open_batch(
            actor, "batch_update", _("Set %(fields)s on %(n)s records", n=total,
                                     fields=", ".join(specs[c].title for c in values)), ref="")
        for code, value in values.items():
            spec = specs[code]
            args: list = []
            where_sql = filter_where(actor, filters, args).sql()
            if spec.custom:
                await _set_custom(actor, where_sql, args, code, value, batch)
            else:
                await _set_column(actor, where_sql, args, code, value, batch)
        touched = {r["person"] for r in await db.fetch("SELECT DISTINCT person FROM rec_change WHERE batch = $1",
                                                        batch)}
        await db.execute("UPDATE rec_batch SET summary = $2 WHERE id = $1", batch,
                         _("Set %(fields)s on %(n)s records", n=len(touched),
                           fields=", ".join(specs[c].title for c in values))[:300])
        await audit.record(actor, "batch_update", "rec_batch", batch, after={k: changes.to_json(v) for k, v in
                                                                             values.items()},
                           summary=_("%(n)s records changed", n=len(touched)))
    return batch, len(touched)


async def field_inputs(codes: list[str]) -> list[dict]:
    """What the form needs to draw an input per chosen field: kind and options."""
    specs = {f.code: f for f in await updatable_fields()}
    out = []
    for code in codes:
        spec = specs.get(code)
        if spec is None:
            continue
        options = list(spec.choices) or (await dictionary.choices(spec.dict_type) if spec.dict_type else [])
        out.append({"code": code, "label": spec.title, "kind": spec.kind, "options": options})
    return out


async def college_options() -> list[tuple[int, str]]:
    return [(r["id"], r["name"]) for r in await db.fetch("SELECT id, name FROM org_node WHERE kind = 'college'"
                                                          " ORDER BY sort, id")]

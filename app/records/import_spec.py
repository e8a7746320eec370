"""Alumni import (REC-08): the ImportSpec "alumni" for the generic wizard at /admin/imports/alumni.

Columns come from the field catalogue (built-in and custom fields) plus one education record per
row. Rows are checked a chunk at a time (dictionaries and org nodes loaded once per chunk), matched
against existing persons by the duplicate rules (rec_rule kind "dedupe"), then written through
api.create_person / update_person with method "import" in one change batch (rec_batch kind
"import", ref "import:<batch id>"), so the whole import rolls back by replaying the change log."""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from markupsafe import escape

from app.core import audit, db, dictionary
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import current_locale
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.import_files import as_date, as_email, as_int, as_list, as_phone, as_text
from app.core.imports import ImportColumn, ImportContext, ImportSpec, register
from app.records import api, changes, dedupe, fields, rollback, visibility

EDUCATION = ("degree", "college", "major", "class_name", "entry_year", "grad_year", "student_no")
SKIPPED = {"created_at"}  # catalogue fields that are not typed in
LENGTHS = {"name": 64, "wechat": 64, "address": 300, "employer": 200, "job_title": 100, "major": 100,
           "class_name": 100, "student_no": 32, "key_category": 32}
EXAMPLES = {"name": "张三", "gender": "男", "birthday": "1990-05-06", "phone": "13800138000", "college": "CS",
            "major": "软件工程", "entry_year": "2008", "grad_year": "2012", "degree": "本科"}
DEFAULT_RULES = (("id_number",), ("name", "birthday"), ("phone",))
ID_NUMBER = re.compile(r"^[0-9A-Z()\-]{5,32}$")
TRUE_WORDS = {"1", "y", "yes", "true", "是", "√", "✓"}
FALSE_WORDS = {"0", "n", "no", "false", "否", ""}


class CustomLabel(str):
    """A custom field's label: Chinese text, the English label in English pages."""

    def __new__(cls, zh: str, en: str):
        obj = super().__new__(cls, zh)
        obj.en = en or zh
        return obj

    def __str__(self) -> str:
        return self.en if current_locale.get() == "en" else str.__str__(self)

    def __html__(self) -> str:
        return str(escape(str(self)))


# --- parsers ----------------------------------------------------------------------------------------

def _year(raw: Any, _ctx=None) -> int:
    year = as_int(raw)
    if not 1900 <= year <= date.today().year + 10:
        raise Invalid("", _("Enter a year between 1900 and %(max)s.", max=date.today().year + 10))
    return year


def _bool(raw: Any, _ctx=None) -> bool:
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise Invalid("", _("Write yes or no (是/否)."))


def _number(raw: Any, _ctx=None) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise Invalid("", _("%(value)s is not a number.", value=raw)) from None
    return int(value) if value.is_integer() else value


def _id_number(raw: Any, _ctx=None) -> str:
    text = str(raw).strip().upper()
    if not ID_NUMBER.match(text):
        raise Invalid("", _("%(value)s is not a valid ID number.", value=raw))
    return text


def _fixed(choices: tuple[tuple[str, str], ...], msgids: dict[str, str]):
    """Fixed choices (type, secrecy): the code or its label in either language."""
    def parse(raw: Any, _ctx=None) -> str:
        text = str(raw).strip().lower()
        for code, label in choices:
            names = {code.lower(), label.lower(), msgids.get(code, "").lower(), _(msgids.get(code, "")).lower()}
            if text in names - {""}:
                return code
        raise Invalid("", _("Unknown value %(value)s; use one of: %(choices)s.", value=raw,
                            choices=", ".join(_(msgids.get(c, label)) for c, label in choices)))
    return parse


def _parser(spec: fields.FieldSpec):
    if spec.code == "phone":
        return as_phone
    if spec.code == "email":
        return as_email
    if spec.code == "id_number":
        return _id_number
    if spec.choices:
        fixed = {"kind": fields.PERSON_KINDS, "id_type": fields.ID_TYPES}.get(spec.code, fields.SECRECY)
        msgids = {str(k): str.__str__(v) for k, v in fixed.items()}
        return _fixed(spec.choices, msgids)
    return {"date": as_date, "year": _year, "bool": _bool, "number": _number, "multiselect": as_list}.get(
        spec.kind, as_text(max_length=LENGTHS.get(spec.code, 200)))


def _help(spec: fields.FieldSpec) -> str:
    if spec.code == "college":
        return _("The college's org code or name, inside your data scope.")
    if spec.dict_type:
        return _("A dictionary code or its label, e.g. 男 or 1.")
    if spec.kind == "date":
        return _("A date: 2001-02-03, 2001/2/3, 20010203 or an Excel date.")
    if spec.kind == "bool":
        return _("yes or no (是/否).")
    return ""


async def load_columns() -> list[ImportColumn]:
    """One column per catalogue field (built-in: English msgid as label; custom: its two labels)."""
    token = current_locale.set("en")
    try:
        catalogue = await fields.catalogue()
    finally:
        current_locale.reset(token)
    custom = {r["code"]: r for r in await fields.custom_fields()}
    columns = []
    for spec in catalogue:
        if spec.code in SKIPPED or spec.kind == "file":
            continue
        if spec.custom:
            row = custom[spec.code]
            label: str = CustomLabel(row["label"], row["label_en"])
            aliases = tuple(a for a in (row["label_en"], spec.code) if a)
        else:
            label, aliases = L(spec.title), (spec.code,)
        columns.append(ImportColumn(
            spec.code, label, required=spec.required, parse=_parser(spec), example=EXAMPLES.get(spec.code, ""),
            help=_help(spec), unique=spec.code in ("id_number", "phone"), aliases=aliases))
    columns.append(ImportColumn("org", L("Owning org code"), example="",
                                help=L("Optional: the org node owning the record (default: the college)."),
                                aliases=("org", "所属组织", "组织编码")))
    return columns


# --- checks -----------------------------------------------------------------------------------------

async def _catalogue_map() -> dict[str, fields.FieldSpec]:
    return await fields.by_code()


async def _prepare(chunk: list[dict], ctx: ImportContext) -> None:
    cache = ctx.cache
    if "fields" not in cache:
        cache["fields"] = await _catalogue_map()
        cache["dicts"] = {}
        for spec in cache["fields"].values():
            if spec.dict_type and spec.dict_type not in cache["dicts"]:
                items = await dictionary.items(spec.dict_type)
                names: dict[str, str] = {}
                for item in items:
                    for name in (item["code"], item["name"], item.get("name_en") or ""):
                        if name:
                            names.setdefault(str(name).strip().lower(), item["code"])
                cache["dicts"][spec.dict_type] = names
        cache["seen"] = {}
    names = sorted({str(v.get(k)) for v in chunk for k in ("college", "org") if v.get(k)})
    rows = await db.fetch("SELECT id, code, name, kind, path FROM org_node WHERE enabled AND"
                          " (code = ANY($1::text[]) OR name = ANY($1::text[])) ORDER BY id", names)
    cache["orgs"] = {}
    for r in rows:
        cache["orgs"].setdefault(r["code"].lower(), r)
        cache["orgs"].setdefault(r["name"].lower(), r)
    if ctx.committing and "rec_batch" not in cache:
        cache["rec_batch"] = await change_batch(ctx.actor, ctx.batch_id)


async def change_batch(actor: Actor, import_batch: int) -> int:
    """The import's change batch (one per import batch, also when the job is retried)."""
    ref = f"import:{import_batch}"
    found = await db.fetchval("SELECT id FROM rec_batch WHERE kind = 'import' AND ref = $1", ref)
    return found or await changes.open_batch(actor, "import", _("Import batch #%(id)s", id=import_batch), ref)


def _org(values: dict, key: str, ctx: ImportContext, errors: dict) -> dict | None:
    text = values.get(key)
    if not text:
        return None
    org = ctx.cache["orgs"].get(str(text).strip().lower())
    if org is None or (key == "college" and org["kind"] != "college"):
        errors[key] = (_("Unknown college %(value)s: use its org code or name.", value=text) if key == "college"
                       else _("Unknown org code %(code)s.", code=text))
        return None
    if not ctx.actor.scope.allows(org["path"]):
        errors[key] = _("The org %(code)s is outside your data scope.", code=text)
        return None
    return org


async def _validate_row(values: dict, ctx: ImportContext) -> dict:
    errors: dict[str, str] = {}
    if "dict_fields" not in ctx.cache:  # the dictionary columns, found once per import
        ctx.cache["dict_fields"] = [(k, s) for k, s in ctx.cache["fields"].items() if s.dict_type]
    for key, spec in ctx.cache["dict_fields"]:
        value = values.get(key)
        if value in (None, "", []):
            continue
        names = ctx.cache["dicts"].get(spec.dict_type, {})
        texts = value if isinstance(value, list) else [value]
        codes = [names.get(str(t).strip().lower()) for t in texts]
        bad = [t for t, c in zip(texts, codes, strict=True) if c is None]
        if bad:
            errors[key] = _("Unknown value %(value)s for %(label)s.", value=bad[0], label=spec.title)
        else:
            values[key] = codes if isinstance(value, list) else codes[0]
    college = _org(values, "college", ctx, errors)
    org = _org(values, "org", ctx, errors)
    values["college_id"] = college["id"] if college else None
    values["org_id"] = org["id"] if org else (college["id"] if college else None)
    values["org_given"] = org is not None
    if values["org_id"] is None and not ctx.actor.scope.all and not errors.get("college") and not errors.get("org"):
        errors["college"] = _("Enter the college (or the owning org code) inside your data scope.")
    if values.get("entry_year") and values.get("grad_year") and values["grad_year"] < values["entry_year"]:
        errors["grad_year"] = _("The graduation year cannot be before the entry year.")
    if values.get("name") and values.get("birthday") and not ctx.committing:
        key = ("".join(values["name"].lower().split()), values["birthday"].isoformat())
        seen = ctx.cache["seen"]
        if key in seen:
            errors.setdefault("row", _("The same name and birthday appear twice in this file (also in row %(row)s).",
                                       row=seen[key]))
        else:
            seen[key] = ctx.row_no
    values["rec_batch"] = ctx.cache.get("rec_batch")
    return errors


# --- duplicates -------------------------------------------------------------------------------------

def _key(field: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if field == "name":
        return "".join(str(value).lower().split())
    if field == "birthday":  # probed as a date: anything else never matches
        try:
            return value.isoformat() if isinstance(value, date) else date.fromisoformat(str(value)).isoformat()
        except ValueError:
            return None
    if field == "id_number":
        return str(value).upper()
    if field == "phone":
        return re.sub(r"[^0-9]", "", str(value))
    if field == "email":
        return str(value).lower()
    return str(value)


async def _find_duplicates(rows: list[dict], ctx: ImportContext) -> list[dict | None]:
    """Per row the first existing person matching a duplicate rule (rules in their order)."""
    if "dup_rules" not in ctx.cache:  # once per import, not per chunk
        ctx.cache["dup_rules"] = await dedupe.rules(enabled_only=True)
    rules = [tuple(r.fields) for r in ctx.cache["dup_rules"]] or list(DEFAULT_RULES)
    names = {tuple(r.fields): r.name for r in ctx.cache["dup_rules"]}
    found: list[dict | None] = [None] * len(rows)
    for rule in rules:
        if not rule or any(f not in dedupe.KEY_FIELDS for f in rule):
            continue
        todo = [(i, [_key(f, rows[i].get(f)) for f in rule]) for i in range(len(rows)) if found[i] is None]
        todo = [(i, keys) for i, keys in todo if all(keys)]
        if not todo:
            continue
        args: list = [[i for i, _k in todo], *[[keys[n] for _i, keys in todo] for n in range(len(rule))]]
        cols = ", ".join(f"k{n}" for n in range(len(rule)))
        types = ", ".join(f"${n + 2}::text[]" for n in range(len(rule)))
        match = " AND ".join(dedupe.probe_condition(f, f"k.k{n}") for n, f in enumerate(rule))
        visible = visibility.visible(ctx.actor, args)
        # One index probe per key (the expression indexes on KEY_FIELDS): a plain join lets the planner
        # merge-join over the whole index, which at a million alumni costs a second per chunk.
        # (OFFSET 0 keeps the subquery from being flattened back into that join; no LIMIT, which would
        # tempt the planner to walk the primary key hoping for an early match.)
        hits = await db.fetch(
            f"SELECT DISTINCT ON (k.i) k.i, p.id, p.name, ({visible}) AS visible FROM unnest($1::int[], {types})"
            f" AS k(i, {cols}) CROSS JOIN LATERAL (SELECT p.* FROM rec_person p WHERE p.status = 'active'"
            f" AND {match} OFFSET 0) p ORDER BY k.i, p.id", *args)
        label = names.get(rule) or " + ".join(str(dedupe.KEY_FIELDS[f][1]) for f in rule)
        for hit in hits:
            if not hit["visible"]:
                found[hit["i"]] = {"error": _("A record with the same %(rule)s exists outside your data scope; ask"
                                              " an administrator to import this row.", rule=label)}
            else:
                name = visibility.mask_row(ctx.actor, {"name": hit["name"]})["name"]
                found[hit["i"]] = {"id": hit["id"], "label": f"{name} #{hit['id']}", "rule": label}
    return found


# --- writes -----------------------------------------------------------------------------------------

def _split(values: dict, catalogue: dict[str, fields.FieldSpec]) -> tuple[dict, dict, dict]:
    """The row's values as person fields, custom values and one education record (only filled ones)."""
    person, custom, education = {}, {}, {}
    for key, value in values.items():
        if value in (None, "", []):
            continue
        spec = catalogue.get(key)
        if spec is None:
            continue
        if spec.custom:
            custom[key] = value.isoformat() if isinstance(value, date) else value
        elif key in EDUCATION:
            education[key] = values["college_id"] if key == "college" else value
        elif key in api.PERSON_FIELDS:
            person[key] = int(value) if key == "secrecy" else value
    return person, custom, education


async def _create(actor: Actor, values: dict) -> str:
    catalogue = await _catalogue_map()
    person, custom, education = _split(values, catalogue)
    person.update(custom=custom, org=values.get("org_id"))
    person_id = await api.create_person(actor, person, [education] if education else [], method="import",
                                            batch=values.get("rec_batch"))
    return str(person_id)


PERSON_TYPES = {"birthday": "date", "org": "int", "is_key": "bool", "secrecy": "int2", "custom": "jsonb",
                "name_terms": "terms"}
EDUCATION_TYPES = {"college": "int", "class_node": "int", "entry_year": "int2", "grad_year": "int2"}


async def _next_ids(table: str, count: int) -> list[int]:
    """Ids taken from the table's sequence up front, so rows and their change log line up without
    relying on the order of RETURNING."""
    rows = await db.fetch(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id"
                          f" FROM generate_series(1, $1)", count)
    return [r["id"] for r in rows]


async def _insert_rows(table: str, types: dict[str, str], ids: list[int], rows: list[dict], extra: dict) -> None:
    """INSERT … SELECT FROM unnest: one statement per set of filled columns (unfilled ones keep their
    column default, as the one-row INSERT of the api does)."""
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row), []).append(i)
    for cols, members in groups.items():
        args: list = [[ids[i] for i in members]]
        for col in cols:
            kind = types.get(col, "text")
            args.append([json.dumps(rows[i][col], ensure_ascii=False, default=str) if kind in ("jsonb", "terms")
                         else rows[i][col] for i in members])
        names = [f"c{n}" for n in range(len(cols))]
        arrays = ", ".join(
            f"${n + 2}::{'text' if types.get(c, 'text') in ('jsonb', 'terms') else types.get(c, 'text')}[]"
            for n, c in enumerate(cols))
        selects = [f"x.{names[n]}::jsonb" if types.get(c) == "jsonb" else
                   f"ARRAY(SELECT jsonb_array_elements_text(x.{names[n]}::jsonb))::varchar[]" if types.get(c) == "terms"
                   else f"x.{names[n]}" for n, c in enumerate(cols)]
        consts = []
        for key, value in extra.items():
            args.append(value)
            consts.append((key, f"${len(args)}"))
        await db.execute(
            f'INSERT INTO {table} (id, {", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)}'
            f'{"".join(f", {k}" for k, _v in consts)}) SELECT x.id, {", ".join(selects)}'
            f'{"".join(f", {v}" for _k, v in consts)} FROM unnest($1::int[]{", " if cols else ""}{arrays})'
            f' AS x(id{", " if cols else ""}{", ".join(names)})', *args)


async def _create_many(actor: Actor, rows: list[dict], ctx: ImportContext) -> list[str]:
    """A commit chunk set-based: the persons (with name_terms), their education records, one change-log
    row per created row (method "import", the import's change batch: what rollback replays) and one
    audit entry for the chunk — the same data as `_create` row by row. A refused row raises Invalid
    (the engine then redoes the chunk row by row to put the message on that row)."""
    catalogue = ctx.cache.get("fields") or await _catalogue_map()
    batch = ctx.cache.get("rec_batch")
    limit = visibility.clearance(actor)
    persons, educations = [], []
    for values in rows:
        person, custom, education = _split(values, catalogue)
        person.update(custom=custom, org=values.get("org_id"))
        clean = api.clean_person(person)
        clean.setdefault("custom", {})
        if int(clean.get("secrecy") or 0) > limit:
            raise Invalid("secrecy", _("You cannot set a secrecy level above your own clearance."))
        persons.append(clean)
        educations.append(api.clean_education(education) if education else None)
    org_ids = sorted({p["org"] for p in persons if p.get("org")})
    paths = {r["id"]: r["path"] for r in await db.fetch("SELECT id, path FROM org_node WHERE id = ANY($1::int[])",
                                                        org_ids)}
    for p in persons:
        if not actor.scope.allows(paths.get(p.get("org"))):
            raise Invalid("org", _("Choose an org node inside your data scope."))
    person_ids = await _next_ids("rec_person", len(persons))
    await _insert_rows("rec_person", PERSON_TYPES, person_ids,
                       [{**p, "name_terms": api.search_terms(p["name"])} for p in persons],
                       {"batch": batch, "created_by": actor.id, "updated_by": actor.id})
    owners = [(pid, e) for pid, e in zip(person_ids, educations, strict=True) if e is not None]
    education_ids = await _next_ids("rec_education", len(owners)) if owners else []
    if owners:
        await _insert_rows("rec_education", EDUCATION_TYPES | {"person": "int"}, education_ids,
                           [{"person": pid, **e} for pid, e in owners], {"batch": batch, "created_by": actor.id})
    # The change log as create_person + add_education write it: the person row, then its education row.
    log = [(pid, "basic", pid, changes.to_json(p)) for pid, p in zip(person_ids, persons, strict=True)]
    log += [(pid, "education", eid, changes.to_json(e)) for (pid, e), eid in zip(owners, education_ids, strict=True)]
    await db.execute(
        "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name)"
        " SELECT x.p, $5, 'import', x.s, x.r, '', NULL, x.n::jsonb, $6, $7 FROM unnest($1::bigint[], $2::text[],"
        " $3::bigint[], $4::text[]) WITH ORDINALITY AS x(p, s, r, n, o) ORDER BY x.o",
        [entry[0] for entry in log], [entry[1] for entry in log], [entry[2] for entry in log],
        [entry[3] for entry in log], batch, actor.id, actor.name)
    await audit.record(actor, "create", "rec_person", f"{person_ids[0]}-{person_ids[-1]}",
                       after={"count": len(person_ids), "first": person_ids[0], "last": person_ids[-1],
                              "educations": len(education_ids), "change_batch": batch},
                       summary=f"import: {len(person_ids)} persons")
    return [str(pid) for pid in person_ids]


def _empty(value: Any) -> bool:
    return value in (None, "", [], False, 0)


async def _update(actor: Actor, entity_id: str, values: dict, mode: str) -> str:
    """overwrite: the file's non-empty values replace the record's; merge: only its empty fields are filled."""
    person_id, batch = int(entity_id), values.get("rec_batch")
    before = await api.get_raw(actor, person_id)
    person, custom, education = _split(values, await _catalogue_map())
    data = {k: v for k, v in person.items() if mode == "overwrite" or _empty(before.get(k))}
    new_custom = {k: v for k, v in custom.items() if mode == "overwrite" or _empty(before["custom"].get(k))}
    if new_custom:
        data["custom"] = new_custom
    if values.get("org_given") and (mode == "overwrite" or before["org"] is None):
        data["org"] = values["org_id"]
    if data:
        await api.update_person(actor, person_id, data, method="import", batch=batch)
    if education:
        same = await db.fetchrow(
            "SELECT * FROM rec_education WHERE person = $1 AND college IS NOT DISTINCT FROM $2 AND"
            " ($3::int IS NULL OR entry_year IS NULL OR entry_year = $3) ORDER BY id LIMIT 1",
            person_id, education.get("college"), education.get("entry_year"))
        if same is None:
            await api.add_education(actor, person_id, education, method="import", batch=batch)
        else:
            changed = {k: v for k, v in education.items() if mode == "overwrite" or _empty(same[k])}
            if changed:
                await api.update_education(actor, person_id, same["id"], changed, method="import", batch=batch)
    return entity_id


async def _rollback_batch(actor: Actor, import_batch: int) -> None:
    """Created persons deleted, updated fields restored: the import's change batch replayed backwards."""
    batch = await db.fetchrow("SELECT id, status FROM rec_batch WHERE kind = 'import' AND ref = $1",
                              f"import:{import_batch}")
    if batch is None or batch["status"] == "rolled_back":
        return
    if not await db.fetchval("SELECT 1 FROM rec_change WHERE batch = $1 AND NOT rolled_back LIMIT 1", batch["id"]):
        await db.execute("UPDATE rec_batch SET status = 'rolled_back', rolled_back_at = now(), rolled_back_by = $2"
                         " WHERE id = $1", batch["id"], actor.id)
        return
    await rollback.rollback_batch(actor, batch["id"])


ALUMNI = register(ImportSpec(
    kind="alumni", title=L("Import alumni"), permission="rec.import", columns=[], create=_create,
    validate_row=_validate_row, prepare=_prepare, find_duplicates=_find_duplicates, update=_update,
    create_many=_create_many, concurrent_chunks=True,  # in-file duplicates are refused: rows stand alone
    rollback_batch=_rollback_batch, load_columns=load_columns,
    instructions=(L("One alumnus per row with one education record; dictionary columns take the code or the label."),
                  L("Rows matching an existing record (same ID number, name and birthday, or phone) are shown as "
                    "duplicates: choose to skip, overwrite or merge them before importing.")),
))

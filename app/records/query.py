"""Combined query (REC-05): a tree of conditions over the field catalogue, nested AND/OR groups,
compiled into one parameterised WHERE that is always AND-ed with the viewer's visibility.

Tree: {"op": "and"|"or", "items": [{"field", "cmp", "value", "value2"} | group, ...]}.
Field SQL comes only from fields.catalogue(); values only travel as $n parameters. Education fields
become EXISTS over rec_education e (a person may have several education records); the positive
education conditions of one AND group must hold on the same education record.

The tree also has a flat encoding for the query string (no JS needed, bookmarkable):
  op=and                                  root group operator
  c-0-field=name&c-0-cmp=contains&c-0-value=张    condition at path 0
  g-1-op=or&c-1.0-field=…&c-1.1-field=…    a nested group at path 1 with its conditions
Repeated `c-P-value` keys carry the list of an "in" condition.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from app.core import db, dictionary, sqlfilter
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.records import api, fields
from app.records.fields import FieldSpec

MAX_DEPTH = 4  # the root group is depth 1
MAX_CONDITIONS = 30
MAX_IN_VALUES = 100
OPS = ("and", "or")
CMPS = {"eq": L("equals"), "ne": L("does not equal"), "contains": L("contains"), "in": L("is one of"),
        "between": L("is between"), "gt": L("is greater than"), "lt": L("is less than"), "empty": L("is empty"),
        "not_empty": L("is not empty")}
NO_VALUE = ("empty", "not_empty")
ORDERED = ("number", "year", "date")
KIND_CMPS = {
    "text": ("eq", "ne", "contains", "in", "empty", "not_empty"),
    "file": ("empty", "not_empty"),
    "select": ("eq", "ne", "in", "empty", "not_empty"),
    "org": ("eq", "ne", "in", "empty", "not_empty"),
    "multiselect": ("eq", "in", "empty", "not_empty"),
    "number": ("eq", "ne", "gt", "lt", "between", "in", "empty", "not_empty"),
    "year": ("eq", "ne", "gt", "lt", "between", "in", "empty", "not_empty"),
    "date": ("eq", "ne", "gt", "lt", "between", "empty", "not_empty"),
    "bool": ("eq",),
}
_KEY = re.compile(r"^([cg])-(\d{1,2}(?:\.\d{1,2}){0,4})-(field|cmp|value|value2|op)$")


def empty_tree() -> dict:
    return {"op": "and", "items": [blank_condition()]}


def blank_condition() -> dict:
    return {"field": "", "cmp": "eq", "value": "", "value2": ""}


def is_group(node: dict) -> bool:
    return "items" in node


def cmps_for(spec: FieldSpec | None) -> tuple[str, ...]:
    return KIND_CMPS.get(spec.kind, KIND_CMPS["text"]) if spec else tuple(CMPS)


# --- flat encoding (query string / form) <-> tree ------------------------------------------------------

def parse_params(params) -> dict:
    """The tree from flat form/query fields; unknown keys are ignored, structure limits enforced."""
    if hasattr(params, "multi_items"):  # Litestar query/form MultiDict
        items = params.multi_items()
    elif isinstance(params, (list, tuple)):  # (key, value) pairs, as encode() returns
        items = params
    else:  # a dict whose repeated keys are lists (web.form_data)
        items = [(k, x) for k, v in dict(params).items() for x in (v if isinstance(v, list) else [v])]
    root = {"op": "and", "items": []}
    nodes: dict[tuple[int, ...], dict] = {}
    for key, value in items:
        if key == "op":
            root["op"] = value if value in OPS else "and"
            continue
        m = _KEY.match(key)
        if not m:
            continue
        kind, path, part = m.group(1), tuple(int(x) for x in m.group(2).split(".")), m.group(3)
        if len(path) >= MAX_DEPTH + 1:
            raise Invalid("", _("Groups can be nested at most %(n)s levels deep.", n=MAX_DEPTH))
        node = nodes.get(path)
        if node is None:
            if len(nodes) >= 2 * MAX_CONDITIONS:
                raise Invalid("", _("A query may have at most %(n)s conditions.", n=MAX_CONDITIONS))
            node = nodes[path] = {"op": "and", "items": []} if kind == "g" else blank_condition()
        if is_group(node):
            if part == "op":
                node["op"] = value if value in OPS else "and"
        elif part == "value" and node["value"] not in ("", None):
            node["value"] = (node["value"] if isinstance(node["value"], list) else [node["value"]]) + [value]
        elif part != "op":
            node[part] = value
    # A missing parent becomes an AND group; then attach children to parents in index order.
    for path in list(nodes):
        for n in range(1, len(path)):
            nodes.setdefault(path[:n], {"op": "and", "items": []})
    for path in sorted(nodes, key=lambda p: (len(p), p)):
        parent = nodes[path[:-1]] if len(path) > 1 else root
        if not is_group(parent):
            continue  # a condition cannot hold children: drop them
        parent["items"].append((path[-1], nodes[path]))
    for group in [root, *[n for n in nodes.values() if is_group(n)]]:
        group["items"] = [n for _, n in sorted(group["items"], key=lambda t: t[0])]
    return root


def encode(tree: dict) -> list[tuple[str, str]]:
    """Flat (key, value) pairs, renumbered: the canonical query string of a tree."""
    out: list[tuple[str, str]] = [("op", tree.get("op", "and"))]

    def walk(group: dict, prefix: str) -> None:
        for i, node in enumerate(group.get("items", [])):
            path = f"{prefix}{i}"
            if is_group(node):
                out.append((f"g-{path}-op", node.get("op", "and")))
                walk(node, path + ".")
            else:
                out.append((f"c-{path}-field", node.get("field") or ""))
                out.append((f"c-{path}-cmp", node.get("cmp") or "eq"))
                value = node.get("value")
                for v in (value if isinstance(value, list) else [value]):
                    out.append((f"c-{path}-value", "" if v is None else str(v)))
                if node.get("value2") not in (None, ""):
                    out.append((f"c-{path}-value2", str(node["value2"])))

    walk(tree, "")
    return out


def normalize(raw: Any) -> dict:
    """A tree from stored JSON (saved query, smart tag), checked for shape and limits."""
    if isinstance(raw, str):
        raw = json.loads(raw or "{}")
    if not isinstance(raw, dict):
        raise Invalid("", _("The query is not valid."))

    def node(n: Any, depth: int) -> dict:
        if not isinstance(n, dict):
            raise Invalid("", _("The query is not valid."))
        if "items" in n:
            if depth > MAX_DEPTH:
                raise Invalid("", _("Groups can be nested at most %(n)s levels deep.", n=MAX_DEPTH))
            items = n.get("items") or []
            if not isinstance(items, list):
                raise Invalid("", _("The query is not valid."))
            return {"op": n.get("op") if n.get("op") in OPS else "and", "items": [node(i, depth + 1) for i in items]}
        value = n.get("value", "")
        value = [str(v) for v in value] if isinstance(value, list) else ("" if value is None else str(value))
        return {"field": str(n.get("field") or ""), "cmp": str(n.get("cmp") or "eq"), "value": value,
                "value2": "" if n.get("value2") is None else str(n.get("value2"))}

    tree = node({"items": [], **raw}, 1)
    if count_conditions(tree) > MAX_CONDITIONS:
        raise Invalid("", _("A query may have at most %(n)s conditions.", n=MAX_CONDITIONS))
    return tree


def count_conditions(tree: dict) -> int:
    return sum(count_conditions(n) if is_group(n) else 1 for n in tree.get("items", []))


def edit(tree: dict, action: str) -> dict:
    """Builder buttons: add:P (condition into group P), addg:P (group into P), del:P (remove item P).
    P is a dotted path; empty means the root group."""
    verb, _sep, raw_path = (action or "").partition(":")
    try:
        path = [int(x) for x in raw_path.split(".")] if raw_path else []
    except ValueError:
        return tree

    def locate(p: list[int]) -> dict | None:
        node = tree
        for i in p:
            items = node.get("items") if is_group(node) else None
            if items is None or not 0 <= i < len(items):
                return None
            node = items[i]
        return node

    if verb in ("add", "addg"):
        group = locate(path)
        if group is None or not is_group(group) or count_conditions(tree) >= MAX_CONDITIONS:
            return tree
        if verb == "addg":
            if len(path) + 2 > MAX_DEPTH:
                return tree
            group["items"].append({"op": "or" if group["op"] == "and" else "and", "items": [blank_condition()]})
        else:
            group["items"].append(blank_condition())
    elif verb == "del" and path:
        parent = locate(path[:-1])
        if parent is not None and is_group(parent) and 0 <= path[-1] < len(parent["items"]):
            del parent["items"][path[-1]]
    return tree


# --- compile ----------------------------------------------------------------------------------------

def _values(raw: Any) -> list[str]:
    """An "in" list: repeated form values, or one text split on commas (ASCII or Chinese)."""
    parts = raw if isinstance(raw, list) else [raw]
    out = [v.strip() for p in parts for v in re.split(r"[,，、;；\n]", str(p or "")) if v.strip()]
    return list(dict.fromkeys(out))


def _convert(spec: FieldSpec, raw: str, label: str) -> Any:
    raw = (raw or "").strip()
    if not raw:
        raise Invalid("", _("Condition %(n)s (%(field)s): enter a value.", n=label, field=spec.title))
    if spec.kind == "number":
        try:
            value = Decimal(raw)
            if not value.is_finite():
                raise InvalidOperation
            return value
        except InvalidOperation:
            raise Invalid("", _("Condition %(n)s (%(field)s): enter a number.", n=label, field=spec.title)) from None
    if spec.kind == "year":
        if not (raw.isdigit() and 1900 <= int(raw) <= 2100):
            raise Invalid("", _("Condition %(n)s (%(field)s): enter a year between 1900 and 2100.", n=label,
                                field=spec.title))
        return int(raw)
    if spec.kind == "date":
        parsed = sqlfilter.parse_date(raw)
        if parsed is None:
            raise Invalid("", _("Condition %(n)s (%(field)s): enter a date as YYYY-MM-DD.", n=label,
                                field=spec.title))
        return parsed
    if spec.kind == "org":
        if not (raw.isdigit() and len(raw) < 10):
            raise Invalid("", _("Condition %(n)s (%(field)s): choose an entry from the list.", n=label,
                                field=spec.title))
        return int(raw)
    if spec.kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise Invalid("", _("Condition %(n)s (%(field)s): choose yes or no.", n=label, field=spec.title))
    return raw[:200]


def _empty_sql(spec: FieldSpec) -> str:
    if spec.kind == "multiselect":
        return f"({spec.sql} IS NULL OR {spec.sql} = '[]'::jsonb OR {spec.sql} = 'null'::jsonb)"
    if spec.kind in ("text", "select", "file"):
        return f"COALESCE({spec.sql}, '') = ''"
    return f"{spec.sql} IS NULL"


def _condition(node: dict, specs: dict[str, FieldSpec], where: sqlfilter.Where, label: str,
               fenced: bool = False) -> str | None:
    """SQL for one condition; positive education conditions come back bare (EducationCondition)."""
    code, cmp = node.get("field") or "", node.get("cmp") or "eq"
    if not code:
        return None  # an untouched new row of the builder
    spec = specs.get(code)
    if spec is None or not spec.sql:
        raise Invalid("", _("Condition %(n)s: there is no field “%(field)s”.", n=label, field=code[:40]))
    if cmp not in cmps_for(spec):
        raise Invalid("", _("Condition %(n)s (%(field)s): the operator “%(op)s” cannot be used with this field.",
                            n=label, field=spec.title, op=str(CMPS.get(cmp, cmp[:20]))))
    col = spec.sql
    negate = False
    if cmp in NO_VALUE:
        sql = _empty_sql(spec)
        if spec.per_education:  # "empty" = no education record holds a value
            negate, sql = cmp == "empty", f"NOT ({sql})"
        elif cmp == "not_empty":
            sql = f"NOT ({sql})"
    elif cmp == "in":
        values = _values(node.get("value"))
        if not values:
            raise Invalid("", _("Condition %(n)s (%(field)s): enter a value.", n=label, field=spec.title))
        if len(values) > MAX_IN_VALUES:
            raise Invalid("", _("Condition %(n)s (%(field)s): at most %(max)s values.", n=label, field=spec.title,
                                max=MAX_IN_VALUES))
        values = [_convert(spec, v, label) for v in values]
        if spec.kind == "multiselect":
            sql = f"{col} ?| {where.param([str(v) for v in values])}::text[]"
        else:
            sql = f"{col} = ANY({where.param(values)})"
    else:
        value = node.get("value")
        value = _convert(spec, value[0] if isinstance(value, list) and value else value or "", label)
        if cmp == "contains":
            sql = f"{col} ILIKE {where.param(sqlfilter.like_pattern(str(value)))}"
            if col == "p.name":  # the GIN-indexed name terms narrow it first (as the list search does)
                terms = api.query_terms(str(value))[:8]
                sql = f"p.name_terms @> {where.param(terms)}::varchar[] AND {sql}"
        elif cmp in ("eq", "ne"):
            if spec.kind == "multiselect":
                sql = f"{col} ? {where.param(str(value))}::text"
            else:
                sql = f"{col} = {where.param(value)}"
            if cmp == "ne":
                if spec.per_education:
                    negate = True
                else:
                    sql = f"({col} IS NULL OR NOT ({sql}))"
        elif cmp in ("gt", "lt"):
            sql = f"{col} {'>' if cmp == 'gt' else '<'} {where.param(value)}"
        else:  # between, both ends included, in either order
            second = _convert(spec, node.get("value2") or "", label)
            low, high = sorted((value, second))
            sql = f"{col} BETWEEN {where.param(low)} AND {where.param(high)}"
    if spec.per_education:
        if not negate:
            return EducationCondition(sql)
        sql = f"NOT {_exists([sql], fenced)}"
    return f"({sql})"


class EducationCondition(str):
    """A positive condition on one education record; an AND group puts all of them into one EXISTS,
    so "college = CS AND entry year < 2013" means the same record (not CS in 2014 plus EM in 2008)."""


# A page wants the first 20 by id: an education condition under OR (or NOT) cannot become a join, and
# PostgreSQL then hashes it, reading every matching education row (100,000s at a million alumni) on
# every request, LIMIT or not. "OFFSET 0" keeps it a correlated lookup per person instead, which is
# cheap while matches are dense but costs a probe per scanned person when they are rare. So the tree
# is written twice: correlated for the newest WINDOW persons (a full page of a common query is found
# there), hashed below them (a rare query pays at most WINDOW probes extra). The two copies mean the
# same, and the windows split the id range, so the result is exactly the plain tree's.
FENCE = "/*fence*/"  # where " OFFSET 0" goes; never in user input (values travel as parameters)
WINDOW = 5000
_BOUND = f"(SELECT COALESCE(max(id), 0) - {WINDOW} FROM rec_person)"


def _exists(conds: list[str], fenced: bool = False) -> str:
    fence = FENCE if fenced else ""
    return f"(EXISTS (SELECT 1 FROM rec_education e WHERE e.person = p.id AND {' AND '.join(conds)}{fence}))"


def _windowed(sql: str) -> str:
    if FENCE not in sql:
        return sql
    return (f"((p.id > {_BOUND} AND {sql.replace(FENCE, ' OFFSET 0')})"
            f" OR (p.id <= {_BOUND} AND {sql.replace(FENCE, '')}))")


def compile_tree(tree: dict, specs: dict[str, FieldSpec], where: sqlfilter.Where) -> str:
    """SQL for the tree (parameters go into `where`); raises Invalid naming the bad condition."""
    if count_conditions(tree) > MAX_CONDITIONS:
        raise Invalid("", _("A query may have at most %(n)s conditions.", n=MAX_CONDITIONS))

    def group(node: dict, prefix: str, depth: int, top: bool = True) -> str | None:
        if depth > MAX_DEPTH:
            raise Invalid("", _("Groups can be nested at most %(n)s levels deep.", n=MAX_DEPTH))
        parts: list[str] = []
        same_record: list[str] = []
        top = top and node.get("op") != "or"
        for i, item in enumerate(node.get("items", [])):
            label = f"{prefix}{i + 1}"
            part = (group(item, label + ".", depth + 1, top) if is_group(item)
                    else _condition(item, specs, where, label, not top))
            if isinstance(part, EducationCondition) and node.get("op") != "or":
                same_record.append(part)
            elif isinstance(part, EducationCondition):
                parts.append(_exists([part], True))
            elif part:
                parts.append(_windowed(part) if top else part)  # an OR group under the root's AND
        if same_record:
            parts.append(_exists(same_record, not top))
        if not parts:
            return None
        joiner = " OR " if node.get("op") == "or" else " AND "
        return "(" + joiner.join(parts) + ")"

    return _windowed(group(tree, "", 1) or "TRUE")


def check(tree: dict, specs: dict[str, FieldSpec]) -> None:
    compile_tree(tree, specs, sqlfilter.Where([]))


async def build_where(actor: Actor, tree: dict) -> sqlfilter.Where:
    """Visibility (scope + clearance) AND the compiled tree."""
    specs = await fields.by_code()
    where = api.filter_where(actor, api.PersonFilters(), [])
    where.add(compile_tree(tree, specs, where))
    return where


async def run(actor: Actor, tree: dict, req: PageRequest) -> Page:
    """One page of visible persons matching the tree."""
    where = await build_where(actor, tree)
    try:
        return await api.list_people(actor, api.PersonFilters(), req, where=where)
    except asyncpg.exceptions.DataError:  # e.g. a custom date field holding text in some record
        raise Invalid("", _("Some records hold values that cannot be compared this way; change the conditions."))\
            from None


async def matching_ids(actor: Actor, tree: dict, limit: int = 10_000) -> list[int]:
    where = await build_where(actor, tree)
    rows = await db.fetch(f"SELECT p.id FROM rec_person p WHERE {where.sql()} ORDER BY p.id LIMIT {int(limit)}",
                          *where.args)
    return [r["id"] for r in rows]


def describe(tree: dict, specs: dict[str, FieldSpec], choices: dict | None = None) -> str:
    """A one-line human reading of the tree, e.g. (College equals 12 AND Entry year is between 2008 and 2010)."""
    def text(node: dict) -> str:
        if is_group(node):
            parts = [text(n) for n in node["items"] if not (not is_group(n) and not n.get("field"))]
            joiner = f" {_('OR') if node['op'] == 'or' else _('AND')} "
            return "(" + joiner.join(p for p in parts if p) + ")" if parts else ""
        spec = specs.get(node.get("field", ""))
        labels = dict((choices or {}).get(node.get("field", ""), ()))
        value = node.get("value")
        value = "、".join(labels.get(v, v) for v in (value if isinstance(value, list) else [value]))
        if node.get("cmp") == "between":
            value = f"{value} – {node.get('value2')}"
        name = spec.title if spec else node.get("field", "")
        cmp = str(CMPS.get(node.get("cmp"), node.get("cmp")))
        return f"{name} {cmp}" + ("" if node.get("cmp") in NO_VALUE else f" {value}")

    return text(tree) or _("All records")


async def summary(stored_tree: dict | str | None) -> str:
    """The human reading of a stored query (smart tags, saved queries) with labels instead of codes."""
    if not stored_tree:
        return ""
    tree, specs = normalize(stored_tree), await fields.by_code()
    return describe(tree, specs, await choices_for(tree, specs))


async def choices_for(tree: dict, specs: dict[str, FieldSpec]) -> dict[str, list[tuple[str, str]]]:
    """Option lists for the select-like fields used in the tree (builder value boxes)."""
    used: set[str] = set()

    def walk(node: dict) -> None:
        for n in node.get("items", []):
            walk(n) if is_group(n) else used.add(n.get("field", ""))

    walk(tree)
    out: dict[str, list[tuple[str, str]]] = {}
    for code in used:
        spec = specs.get(code)
        if spec is None:
            continue
        if spec.choices:
            out[code] = list(spec.choices)
        elif spec.dict_type:
            out[code] = await dictionary.choices(spec.dict_type)
        elif spec.kind == "org":
            rows = await db.fetch("SELECT id, name FROM org_node WHERE kind = 'college' AND enabled ORDER BY sort, id")
            out[code] = [(str(r["id"]), r["name"]) for r in rows]
        elif spec.kind == "bool":
            out[code] = [("1", _("Yes")), ("0", _("No"))]
    return out


def sections(specs: Iterable[FieldSpec]) -> list[tuple[str, list[FieldSpec]]]:
    """The catalogue grouped by section for the field chooser."""
    grouped: dict[str, list[FieldSpec]] = {}
    for spec in specs:
        if spec.sql and spec.kind != "file":
            grouped.setdefault(spec.section, []).append(spec)
    return [(str(fields.SECTIONS.get(k, k)), v) for k, v in grouped.items()]

"""Condition trees for every "combined query" / "smart search" (REC-05, EXP-15): nested AND/OR groups over a
catalogue of fields, a flat query-string encoding (no JS needed, bookmarkable), shape and limit checks, and the
compiler into one parameterised WHERE (values only ever travel as $n parameters; field SQL only ever comes from
the catalogue).

Tree: {"op": "and"|"or", "items": [{"field", "cmp", "value", "value2"} | group, ...]}.
Flat encoding:
  op=and                                          root group operator
  c-0-field=name&c-0-cmp=contains&c-0-value=张    condition at path 0
  g-1-op=or&c-1.0-field=…&c-1.1-field=…            a nested group at path 1 with its conditions
Repeated `c-P-value` keys carry the list of an "in" condition.

A catalogue is a mapping code → spec; a spec is any object with `code`, `title`, `kind`, `sql` (and optionally
`section`, `choices`, `cmps`) — e.g. `QueryField` below or the records module's FieldSpec. Modules with special
semantics (records: education EXISTS grouping) build on `condition()`; simple catalogues use `compile_tree()`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.core import sqlfilter
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

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


@dataclass(frozen=True)
class QueryField:
    """One field of a catalogue: `sql` is an expression over the module's table alias."""
    code: str
    label: Any
    kind: str = "text"
    sql: str = ""
    section: str = ""
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    cmps: tuple[str, ...] = ()  # overrides KIND_CMPS[kind] when set

    @property
    def title(self) -> str:
        return str(self.label)


def empty_tree() -> dict:
    return {"op": "and", "items": [blank_condition()]}


def blank_condition() -> dict:
    return {"field": "", "cmp": "eq", "value": "", "value2": ""}


def is_group(node: dict) -> bool:
    return "items" in node


def cmps_for(spec) -> tuple[str, ...]:
    if spec is None:
        return tuple(CMPS)
    return getattr(spec, "cmps", None) or KIND_CMPS.get(spec.kind, KIND_CMPS["text"])


def count_conditions(tree: dict) -> int:
    return sum(count_conditions(n) if is_group(n) else 1 for n in tree.get("items", []))


def fields_used(tree: dict) -> set[str]:
    out: set[str] = set()
    for n in tree.get("items", []):
        out |= fields_used(n) if is_group(n) else {n.get("field", "")}
    return out


def conditions(tree: dict) -> Iterable[dict]:
    for n in tree.get("items", []):
        yield from (conditions(n) if is_group(n) else [n])


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

def in_values(raw: Any) -> list[str]:
    """An "in" list: repeated form values, or one text split on commas (ASCII or Chinese)."""
    parts = raw if isinstance(raw, list) else [raw]
    out = [v.strip() for p in parts for v in re.split(r"[,，、;；\n]", str(p or "")) if v.strip()]
    return list(dict.fromkeys(out))


def convert(spec, raw: str, label: str) -> Any:
    """One typed value for a condition of this field; raises Invalid naming the condition."""
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


def like_operator(value: str) -> str:
    """ILIKE only when the text has letters with case: for Chinese, digits and signs plain LIKE means the same
    and is about four times cheaper (ILIKE case-folds every row's text)."""
    return "ILIKE" if value.lower() != value.upper() else "LIKE"


def empty_sql(spec) -> str:
    if spec.kind == "multiselect":
        return f"({spec.sql} IS NULL OR {spec.sql} = '[]'::jsonb OR {spec.sql} = 'null'::jsonb)"
    if spec.kind in ("text", "select", "file"):
        return f"COALESCE({spec.sql}, '') = ''"
    return f"{spec.sql} IS NULL"


# contains(spec, value, where, ilike_sql) -> sql: a module's faster form of "contains" on some column
ContainsHook = Callable[[Any, str, sqlfilter.Where, str], str]


def condition(node: dict, specs: Mapping[str, Any], where: sqlfilter.Where, label: str, *,
              split_negation: bool = False, contains: ContainsHook | None = None) -> tuple[Any, str, bool] | None:
    """(spec, sql, negated) for one condition, or None for an untouched new row of the builder.

    With `split_negation`, "does not equal" and "is empty" come back as their positive form ("equals",
    "has a value") with negated=True, so a caller can wrap the positive form (e.g. into an EXISTS) and negate
    outside it; otherwise negation is folded into the SQL and negated is False."""
    code, cmp = node.get("field") or "", node.get("cmp") or "eq"
    if not code:
        return None
    spec = specs.get(code)
    if spec is None or not spec.sql:
        raise Invalid("", _("Condition %(n)s: there is no field “%(field)s”.", n=label, field=code[:40]))
    if cmp not in cmps_for(spec):
        raise Invalid("", _("Condition %(n)s (%(field)s): the operator “%(op)s” cannot be used with this field.",
                            n=label, field=spec.title, op=str(CMPS.get(cmp, cmp[:20]))))
    col = spec.sql
    negate = False
    if cmp in NO_VALUE:
        sql = empty_sql(spec)
        if split_negation:  # "empty" = NOT (has a value)
            negate, sql = cmp == "empty", f"NOT ({sql})"
        elif cmp == "not_empty":
            sql = f"NOT ({sql})"
    elif cmp == "in":
        values = in_values(node.get("value"))
        if not values:
            raise Invalid("", _("Condition %(n)s (%(field)s): enter a value.", n=label, field=spec.title))
        if len(values) > MAX_IN_VALUES:
            raise Invalid("", _("Condition %(n)s (%(field)s): at most %(max)s values.", n=label, field=spec.title,
                                max=MAX_IN_VALUES))
        values = [convert(spec, v, label) for v in values]
        if spec.kind == "multiselect":
            sql = f"{col} ?| {where.param([str(v) for v in values])}::text[]"
        else:
            sql = f"{col} = ANY({where.param(values)})"
    else:
        value = node.get("value")
        value = convert(spec, value[0] if isinstance(value, list) and value else value or "", label)
        if cmp == "contains":
            sql = f"{col} {like_operator(str(value))} {where.param(sqlfilter.like_pattern(str(value)))}"
            if contains is not None:
                sql = contains(spec, str(value), where, sql)
        elif cmp in ("eq", "ne"):
            if spec.kind == "multiselect":
                sql = f"{col} ? {where.param(str(value))}::text"
            else:
                sql = f"{col} = {where.param(value)}"
            if cmp == "ne":
                if split_negation:
                    negate = True
                else:
                    sql = f"({col} IS NULL OR NOT ({sql}))"
        elif cmp in ("gt", "lt"):
            sql = f"{col} {'>' if cmp == 'gt' else '<'} {where.param(value)}"
        else:  # between, both ends included, in either order
            second = convert(spec, node.get("value2") or "", label)
            low, high = sorted((value, second))
            sql = f"{col} BETWEEN {where.param(low)} AND {where.param(high)}"
    return spec, sql, negate


def check_limits(tree: dict) -> None:
    if count_conditions(tree) > MAX_CONDITIONS:
        raise Invalid("", _("A query may have at most %(n)s conditions.", n=MAX_CONDITIONS))


# special(node, spec, where, label) -> sql | None: a module's own SQL for some fields (None: the default)
SpecialHook = Callable[[dict, Any, sqlfilter.Where, str], "str | None"]


def compile_tree(tree: dict, specs: Mapping[str, Any], where: sqlfilter.Where, *,
                 special: SpecialHook | None = None, contains: ContainsHook | None = None) -> str:
    """SQL for a plain tree (every field a column expression); parameters go into `where`. Raises Invalid
    naming the bad condition ("Condition 2.1 (Employer): …")."""
    check_limits(tree)

    def group(node: dict, prefix: str, depth: int) -> str | None:
        if depth > MAX_DEPTH:
            raise Invalid("", _("Groups can be nested at most %(n)s levels deep.", n=MAX_DEPTH))
        parts: list[str] = []
        for i, item in enumerate(node.get("items", [])):
            label = f"{prefix}{i + 1}"
            if is_group(item):
                part = group(item, label + ".", depth + 1)
            else:
                part = special(item, specs.get(item.get("field") or ""), where, label) if special else None
                if part is None:
                    done = condition(item, specs, where, label, contains=contains)
                    part = f"({done[1]})" if done else None
            if part:
                parts.append(part)
        if not parts:
            return None
        return "(" + (" OR " if node.get("op") == "or" else " AND ").join(parts) + ")"

    return group(tree, "", 1) or "TRUE"


def describe(tree: dict, specs: Mapping[str, Any], choices: Mapping | None = None, everything: str = "") -> str:
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

    return text(tree) or everything or _("All records")


def fixed_choices(spec) -> list[tuple[str, str]] | None:
    """The option list a spec carries itself (fixed choices, yes/no), or None."""
    if getattr(spec, "choices", None):
        return [(str(k), str(v)) for k, v in spec.choices]
    if spec.kind == "bool":
        return [("1", _("Yes")), ("0", _("No"))]
    return None


def sections(specs: Iterable[Any], labels: Mapping[str, Any] | None = None) -> list[tuple[str, list[Any]]]:
    """The catalogue grouped by section for the field chooser (components/query_builder.html)."""
    grouped: dict[str, list[Any]] = {}
    for spec in specs:
        if spec.sql and spec.kind != "file":
            grouped.setdefault(getattr(spec, "section", "") or "", []).append(spec)
    return [(str((labels or {}).get(k, k)), v) for k, v in grouped.items()]


def builder_context(tree: dict, specs: Mapping[str, Any], choices: Mapping, section_labels: Mapping | None = None,
                    error: str = "") -> dict:
    """What components/query_builder.html needs (`error`: a message shown above the builder)."""
    return {"tree": tree, "specs": specs, "sections": sections(specs.values(), section_labels),
            "choices": choices, "cmps_for": cmps_for, "cmp_labels": CMPS, "no_value": NO_VALUE, "error": error,
            "max_depth": MAX_DEPTH}

"""Combined query (REC-05): a tree of conditions over the field catalogue, nested AND/OR groups,
compiled into one parameterised WHERE that is always AND-ed with the viewer's visibility.

Tree: {"op": "and"|"or", "items": [{"field", "cmp", "value", "value2"} | group, ...]}.
Field SQL comes only from fields.catalogue(); values only travel as $n parameters. Education fields
become EXISTS over rec_education e (a person may have several education records); the positive
education conditions of one AND group must hold on the same education record.

The generic machinery (tree shape, the flat query-string encoding, limits, operators per kind, compiling one
condition) lives in app.core.query_tree and is re-exported here; this file keeps what is particular to person
records: the catalogue (fields.catalogue()), the education EXISTS grouping, visibility, and the choices.
"""
from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from app.core import db, dictionary, sqlfilter
from app.core import query_tree as qt
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

# The generic tree machinery, under the names this module always had.
from app.core.query_tree import (  # noqa: F401 - public names of this module
    CMPS,
    KIND_CMPS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_IN_VALUES,
    NO_VALUE,
    OPS,
    ORDERED,
    blank_condition,
    count_conditions,
    edit,
    empty_tree,
    encode,
    is_group,
    normalize,
    parse_params,
)
from app.core.query_tree import convert as _convert  # noqa: F401
from app.core.query_tree import empty_sql as _empty_sql  # noqa: F401
from app.core.query_tree import in_values as _values  # noqa: F401
from app.records import api, fields
from app.records.fields import FieldSpec


def cmps_for(spec: FieldSpec | None) -> tuple[str, ...]:
    return qt.cmps_for(spec)


def _name_terms(spec: FieldSpec, value: str, where: sqlfilter.Where, sql: str) -> str:
    if spec.sql == "p.name":  # the GIN-indexed name terms narrow it first (as the list search does)
        terms = api.query_terms(value)[:8]
        return f"p.name_terms @> {where.param(terms)}::varchar[] AND {sql}"
    return sql


def _condition(node: dict, specs: dict[str, FieldSpec], where: sqlfilter.Where, label: str,
               fenced: bool = False) -> str | None:
    """SQL for one condition; positive education conditions come back bare (EducationCondition)."""
    spec = specs.get(node.get("field") or "")
    per_education = bool(spec is not None and spec.per_education)
    done = qt.condition(node, specs, where, label, split_negation=per_education, contains=_name_terms)
    if done is None:
        return None
    spec, sql, negate = done
    if per_education:
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
    qt.check_limits(tree)

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
    return qt.describe(tree, specs, choices)


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
    return qt.sections(specs, fields.SECTIONS)

"""Tree browse of the alumni list (REC-04): levels such as college → entry year → major → class, in an
order the admin chooses (`?tree=college,entry_year,major`), with a count of visible persons per node.

The tree is a path of choices kept in the query string (the same keys the filter bar uses), so a node
is a plain link that filters the list. Only the chosen path is expanded: one GROUP BY query per
expanded level, never one per node. Counts and list conditions are about ONE education record: a
node "CS → 2008" counts persons with an education record of CS entered in 2008."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlencode

from app.core import cache, cells, db, dictionary, sqlfilter, warmup
from app.core.audit import Actor
from app.core.i18n import current_locale
from app.core.i18n import lazy as L
from app.records import api, visibility

# level key → (label, SQL expression over education alias e, parser of the query-string value)
LEVELS: dict[str, tuple[Any, str]] = {
    "college": (L("College"), "e.college"),
    "entry_year": (L("Entry year"), "e.entry_year"),
    "major": (L("Major"), "e.major"),
    "class_name": (L("Class"), "e.class_name"),
    "degree": (L("Degree level"), "e.degree"),
}
NUMERIC = {"college", "entry_year"}
DEFAULT = ("college", "entry_year", "major", "class_name")
MAX_NODES = 300  # per level; a level with more values is cut (the list filter still works)


def parse_levels(params: Mapping[str, str]) -> list[str]:
    """`tree=college,entry_year,…`: known keys, no repeats; the default order otherwise."""
    raw = [k.strip() for k in (params.get("tree") or "").split(",") if k.strip()]
    levels: list[str] = []
    for key in raw:
        if key in LEVELS and key not in levels:
            levels.append(key)
    return levels or list(DEFAULT)


def education_values(params: Mapping[str, str]) -> dict[str, Any]:
    """The education conditions in the query string (tree path and filter bar share the keys)."""
    out: dict[str, Any] = {}
    for key in LEVELS:
        value = (params.get(key) or "").strip()[:100]
        if not value:
            continue
        if key in NUMERIC:
            if value.isdigit() and len(value) < 10:
                out[key] = int(value)
        else:
            out[key] = value
    return out


def education_condition(where: sqlfilter.Where, values: Mapping[str, Any], alias: str = "e") -> str:
    """`alias.college = $n AND alias.major = $m …` for the given values ("" when none)."""
    parts = [f"{LEVELS[k][1].replace('e.', alias + '.', 1)} = {where.param(v)}" for k, v in values.items()]
    return " AND ".join(parts)


# education conditions whose index (rec_education_college_year, rec_education_year) lists persons in order
PERSON_ORDERED = {("college", "entry_year"), ("entry_year",)}


class ListWhere(sqlfilter.Where):
    """The list's WHERE, and when its education condition can be walked in person order, that condition
    (on alias te) and the person conditions without it: api.list_people then reads newest-first
    from the education index instead of scanning persons."""
    ordered_education: tuple[str, str] | None = None


def list_where(actor: Actor, filters: api.PersonFilters, params: Mapping[str, str]) -> ListWhere:
    """The list's WHERE: the api filters, with all education conditions on one education record."""
    values = education_values(params)
    plain = api.PersonFilters(**{**filters.__dict__, "college": None, "entry_year": None})
    base = api.filter_where(actor, plain, [])
    where = ListWhere(base.args, *base.parts)
    if values:
        person_sql = where.sql()
        cond = education_condition(where, values, "te")
        where.add(f"EXISTS (SELECT 1 FROM rec_education te WHERE te.person = p.id AND {cond})")
        if tuple(sorted(values)) in PERSON_ORDERED:
            where.ordered_education = (cond, person_sql)
    return where


@dataclass
class Node:
    id: str  # the query string of the link (the tree component links to url ~ id)
    name: str
    count: int
    selected: bool = False
    children: list[Node] = field(default_factory=list)


@dataclass
class Tree:
    levels: list[str]
    nodes: list[Node]
    counts: dict[str, int]
    selected: str | None
    choices: list[tuple[str, str]]  # all level keys with labels, for the level-order form
    _html: dict = field(default_factory=dict, repr=False)

    def html(self, label: str):
        """The tree's markup (components/tree.html), made once per tree: trees are shared from the cache."""
        if label not in self._html:
            self._html[label] = cells.tree_html(self.nodes, self.selected, "?", self.counts, label)
        return self._html[label]


async def _labels(level: str, values: list[Any]) -> dict[Any, str]:
    if level == "college" and values:
        rows = await db.fetch("SELECT id, name FROM org_node WHERE id = ANY($1::bigint[])", values)
        return {r["id"]: r["name"] for r in rows}
    if level == "degree":
        return await dictionary.label_map("degree_level")
    return {}


COUNTS_TTL = 60  # seconds; counting 1 M persons per click is not worth being exact to the second
COUNTS_STALE = 600  # an older count is still shown (for this long) while it is recounted in the background


async def _level_counts(actor: Actor, level: str, path: dict[str, Any]) -> list[tuple[Any, int]]:
    """(value, persons) of one level under the chosen path, shared by everyone with the same
    visibility for COUNTS_TTL seconds; after that recounted in the background (a root count takes
    seconds at a million alumni, nobody should wait for it twice)."""
    scope = actor.scope
    key = ("rec.tree", scope.all, scope.subtree_paths, scope.org_ids, visibility.clearance(actor), level,
           tuple(sorted(path.items())))
    return await cache.cached(key, COUNTS_TTL, lambda: _count_level(actor, level, path), stale=COUNTS_STALE)


async def _count_level(actor: Actor, level: str, path: dict[str, Any]) -> list[tuple[Any, int]]:
    """One GROUP BY over visible persons."""
    args: list = []
    where = sqlfilter.Where(args, visibility.visible(actor, args))
    expr = LEVELS[level][1]
    if path:
        where.add(education_condition(where, path))
    where.add(f"{expr} IS NOT NULL" + ("" if level in NUMERIC else f" AND {expr} <> ''"))
    order = f"{expr} DESC" if level == "entry_year" else "2 DESC, 1" if level != "college" else "1"
    rows = await db.fetch(f"SELECT {expr} AS value, count(DISTINCT p.id) AS n FROM rec_person p"
                          f" JOIN rec_education e ON e.person = p.id WHERE {where.sql()}"
                          f" GROUP BY 1 ORDER BY {order} LIMIT {MAX_NODES}", *args)
    return [(r["value"], r["n"]) for r in rows]


def _href_prefix(params: Mapping[str, str], levels: list[str], depth: int, chosen: dict[str, Any]) -> str:
    """The links of one level share everything but their own value: other filters kept, the levels above
    set, deeper levels and the page dropped. Returns that shared part, ready for `level=value`."""
    drop = set(levels[depth:]) | {"page"}
    items = [(k, v) for k, v in params.multi_items() if k not in drop]
    items += [(k, str(chosen[k])) for k in levels[:depth] if k in chosen and all(k != i for i, _ in items)]
    return urlencode(items) + ("&" if items else "") + quote_plus(levels[depth]) + "="


async def build(actor: Actor, params) -> Tree:
    """The browse tree for these query parameters, shared (like its counts) by every viewer with the same
    visibility: its nodes, labels and links are the same for all of them."""
    scope = actor.scope
    key = ("rec.tree.built", scope.all, scope.subtree_paths, scope.org_ids, visibility.clearance(actor),
           current_locale.get(), tuple((k, v) for k, v in params.multi_items() if k != "page"))
    return await cache.cached(key, COUNTS_TTL, lambda: _build(actor, params), stale=COUNTS_STALE)


async def _build(actor: Actor, params) -> Tree:
    levels = parse_levels(params)
    chosen = education_values(params)
    roots: list[Node] = []
    counts: dict[str, int] = {}
    selected: str | None = None
    siblings, path = roots, {}
    for depth, level in enumerate(levels):
        rows = await _level_counts(actor, level, path)
        labels = await _labels(level, [v for v, _ in rows])
        prefix = _href_prefix(params, levels, depth, path)
        nodes = [Node(prefix + quote_plus(str(v)), labels.get(v, str(v)), n) for v, n in rows]
        siblings.extend(nodes)
        for node in nodes:
            counts[node.id] = node.count
        pick = chosen.get(level)
        current = next((n for n, (v, _) in zip(nodes, rows, strict=True) if pick is not None and v == pick), None)
        if current is None:
            break  # only the chosen path is expanded
        current.selected = True
        selected = current.id
        path = {**path, level: pick}
        siblings = current.children
    return Tree(levels, roots, counts, selected, [(k, str(v[0])) for k, v in LEVELS.items()])


@warmup.register
async def warm_root_counts() -> None:
    """The root level of the default tree for an all-data viewer: its count reads every education row
    (seconds at a million alumni, cold); done at start-up so no user waits for it, and its pages are
    then in PostgreSQL's buffers for every other scope's count too."""
    from app.core.audit import SYSTEM

    await _level_counts(SYSTEM, parse_levels({})[0], {})

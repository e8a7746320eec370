"""Smart search of the expert pool (EXP-15): a fuzzy keyword box combined with a condition tree (nested AND/OR,
app.core.query_tree — the same machinery as the records combined query) over the experts' field catalogue,
paginated and sorted; contacts in the results follow the reveal rule (contact.py).

Keyword: whitespace-separated terms, each must match name, employer, specialty, title or number; a term
matches as a substring, and a Chinese term also with gaps between its characters in order (王伟 finds 王小伟).
pg_trgm is not available in the embedded PostgreSQL, so no index serves "%x%": the keyword is a filter over the
rows the other conditions leave, with plain LIKE for terms without cased letters (Chinese, digits: ILIKE would
case-fold every row, ~4x the cost) and one scan for page + count (bench/experts_bench.py, 100,000 experts).

Fields of expertise are a multi-select over the taxonomy; choosing a node means its subtree."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from app.core import db, sqlfilter
from app.core import query_tree as qt
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.experts import contact, taxonomy

STATUSES = {"formal": L("Formal"), "deleted": L("Delete list"), "blacklisted": L("Blacklist")}
SOURCES = {"apply": L("Application"), "recommend": L("Recommendation"), "admin": L("Admin entry"),
           "import": L("Import")}
TYPES = {"individual": L("Individual expert"), "organisation": L("Organisation expert")}
SECTIONS = {"basic": L("Basic"), "contact": L("Contact"), "work": L("Work"), "pool": L("Expert pool")}
KEYWORD_COLUMNS = ("e.name", "e.employer", "e.specialty", "e.title", "e.number")
MAX_TERMS = 5
SORTS = {"name": "e.name", "number": "e.number", "created": "e.created_at", "valid_until": "e.valid_until",
         "employer": "e.employer"}
COLUMNS = "e.id, e.name, e.number, e.phone, e.email, e.employer, e.title, e.specialty, e.industry, e.region," \
          " e.expert_type, e.status, e.status_reason, e.source, e.fields, e.valid_until, e.created_at, e.gender"
_CJK = re.compile(r"^[\u3400-\u9fff]{2,6}$")


def _choices(mapping: dict) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in mapping.items())


async def catalogue(viewer: Actor | None = None) -> dict[str, qt.QueryField]:
    """The searchable fields (labels in the current language). Phone and email are conditions only for
    holders of exp.contact.view: a condition on them would tell anybody else the hidden number."""
    f = qt.QueryField
    specs = [
        f("name", _("Name"), sql="e.name", section="basic"),
        f("number", _("Number"), sql="e.number", section="basic"),
        f("gender", _("Gender"), "select", "e.gender", "basic", (("男", _("Male")), ("女", _("Female")))),
        f("phone", _("Mobile number"), sql="e.phone", section="contact"),
        f("email", _("Email"), sql="e.email", section="contact"),
        f("region", _("Region"), sql="e.region", section="contact"),
        f("employer", _("Employer"), sql="e.employer", section="work"),
        f("title", _("Professional title"), sql="e.title", section="work"),
        f("specialty", _("Specialty"), sql="e.specialty", section="work"),
        f("industry", _("Industry"), sql="e.industry", section="work"),
        f("fields", _("Fields of expertise"), "taxonomy", "e.fields", "pool", cmps=("in", "empty", "not_empty")),
        f("expert_type", _("Expert type"), "select", "e.expert_type", "pool", _choices(TYPES)),
        f("status", _("Status"), "select", "e.status", "pool", _choices(STATUSES)),
        f("source", _("Source"), "select", "e.source", "pool", _choices(SOURCES)),
        f("valid_until", _("Valid until"), "date", "e.valid_until", "pool"),
        f("created_at", _("Created"), "date", "e.created_at::date", "pool"),
    ]
    hidden = set() if viewer is None or viewer.can(contact.PERMISSION) else {"phone", "email"}
    return {s.code: s for s in specs if s.code not in hidden}


@dataclass
class SmartSearch:
    """What the search page holds in its query string: keyword + condition tree."""
    q: str = ""
    tree: dict = field(default_factory=qt.empty_tree)

    @classmethod
    def from_params(cls, params) -> SmartSearch:
        """Raises Invalid when the tree is malformed (too deep, too many conditions)."""
        tree = qt.parse_params(params)
        return cls(q=(params.get("q") or "").strip()[:100], tree=tree if tree["items"] else qt.empty_tree())

    @classmethod
    def from_stored(cls, raw: Any) -> SmartSearch:
        if isinstance(raw, str):
            raw = json.loads(raw or "{}")
        if not isinstance(raw, dict):
            raise Invalid("", _("The query is not valid."))
        tree = qt.normalize(raw.get("tree") or {"op": "and", "items": []})
        return cls(q=str(raw.get("q") or "")[:100], tree=tree if tree["items"] else qt.empty_tree())

    def stored(self) -> dict:
        return {"q": self.q, "tree": self.tree}

    def encode(self) -> list[tuple[str, str]]:
        return ([("q", self.q)] if self.q else []) + qt.encode(self.tree)

    @property
    def empty(self) -> bool:
        return not self.q and not any(c.get("field") for c in qt.conditions(self.tree))


def keyword_terms(q: str) -> list[str]:
    return list(dict.fromkeys(t for t in re.split(r"\s+", q.strip()) if t))[:MAX_TERMS]


def _term_pattern(term: str) -> str:
    if _CJK.match(term):  # characters in order, gaps allowed: 王伟 → %王%伟%
        return "%" + "%".join(term) + "%"
    return sqlfilter.like_pattern(term)


def keyword_sql(q: str, where: sqlfilter.Where) -> str | None:
    parts = []
    for term in keyword_terms(q):
        n, op = where.param(_term_pattern(term)), qt.like_operator(term)
        parts.append("(" + " OR ".join(f"{c} {op} {n}" for c in KEYWORD_COLUMNS) + ")")
    return " AND ".join(parts) or None


async def _subtrees(tree: dict) -> dict[int, list[int]]:
    """Every taxonomy node chosen in the tree → the node and the nodes below it (one query)."""
    roots = {int(v) for c in qt.conditions(tree) if c.get("field") == "fields"
             for v in qt.in_values(c.get("value")) if v.isdigit() and len(v) < 12}
    if not roots:
        return {}
    rows = await db.fetch(
        "WITH RECURSIVE t AS (SELECT id AS root, id FROM exp_field WHERE id = ANY($1::bigint[])"
        " UNION SELECT t.root, f.id FROM exp_field f JOIN t ON f.parent = t.id) SELECT root, id FROM t", list(roots))
    out: dict[int, list[int]] = {r: [] for r in roots}
    for r in rows:
        out[r["root"]].append(r["id"])
    return out


def _taxonomy_hook(subtrees: dict[int, list[int]]):
    def special(node: dict, spec, where: sqlfilter.Where, label: str) -> str | None:
        if spec is None or spec.kind != "taxonomy":
            return None
        cmp = node.get("cmp") or "in"
        cmp = "in" if cmp == "eq" else cmp  # a field just switched to this one still carries "equals"
        if cmp not in qt.cmps_for(spec):
            raise Invalid("", _("Condition %(n)s (%(field)s): the operator “%(op)s” cannot be used with this field.",
                                n=label, field=spec.title, op=str(qt.CMPS.get(cmp, cmp[:20]))))
        if cmp in qt.NO_VALUE:
            return f"({'' if cmp == 'empty' else 'NOT '}COALESCE(cardinality({spec.sql}), 0) = 0)"
        chosen = [int(v) for v in qt.in_values(node.get("value")) if v.isdigit() and len(v) < 12]
        if not chosen:
            raise Invalid("", _("Condition %(n)s (%(field)s): choose an entry from the list.", n=label,
                                field=spec.title))
        ids = sorted({i for c in chosen for i in subtrees.get(c, [])})
        return f"({spec.sql} && {where.param(ids)}::bigint[])"

    return special


async def build_where(viewer: Actor, search: SmartSearch) -> sqlfilter.Where:
    """The keyword AND the compiled tree; raises Invalid naming the bad condition."""
    specs = await catalogue(viewer)
    where = sqlfilter.Where([])
    where.add(qt.compile_tree(search.tree, specs, where, special=_taxonomy_hook(await _subtrees(search.tree))))
    if kw := keyword_sql(search.q, where):
        where.add(kw)
    return where


async def run(viewer: Actor, search: SmartSearch, req: PageRequest) -> Page:
    """One page of experts matching the search, contacts as this viewer may see them now."""
    where = await build_where(viewer, search)
    sql_where = where.sql()
    order = req.order_by(SORTS, "e.id DESC")
    # One scan for the page and the count (the keyword has no index: a second scan would double the cost).
    rows = await db.fetch(f"SELECT {COLUMNS}, count(*) OVER () AS total_count FROM exp_expert e WHERE {sql_where}"
                          f" {order} LIMIT {req.per_page} OFFSET {req.offset}", *where.args)
    if rows:
        total = rows[0]["total_count"]
    elif req.page == 1:
        total = 0
    else:  # a page past the end: the count alone
        total = await db.fetchval(f"SELECT count(*) FROM exp_expert e WHERE {sql_where}", *where.args)
    for r in rows:
        r.pop("total_count", None)
    return Page(await contact.apply(viewer, rows), total, req.page, req.per_page, req.sort)


def check(search: SmartSearch, specs: dict) -> None:
    qt.compile_tree(search.tree, specs, sqlfilter.Where([]), special=_taxonomy_hook({}))


async def choices_for(tree: dict, specs: dict) -> dict[str, list[tuple[str, str]]]:
    """Option lists of the select-like fields used in the tree (the builder's value boxes)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for code in qt.fields_used(tree):
        spec = specs.get(code)
        if spec is None:
            continue
        if spec.kind == "taxonomy":
            out[code] = await taxonomy.choices()
        elif (fixed := qt.fixed_choices(spec)) is not None:
            out[code] = fixed
    return out


async def describe(viewer: Actor, search: SmartSearch) -> str:
    specs = await catalogue(viewer)
    text = qt.describe(search.tree, specs, await choices_for(search.tree, specs), everything=" ")
    text = text.strip()
    if search.q:
        kw = _("Keyword “%(q)s”", q=search.q)
        return f"{kw} {_('AND')} {text}" if text else kw
    return text or _("All experts")


async def builder(viewer: Actor, search: SmartSearch, error: str = "") -> dict:
    specs = await catalogue(viewer)
    return qt.builder_context(search.tree, specs, await choices_for(search.tree, specs), SECTIONS, error)

"""Alumni records (REC-01, REC-03): the list and the detail of the persons an actor may see, and the writes
every other records feature builds on, and the reads the identity and classes modules need. Other modules
reach these through api.py (which re-exports them); who may see which person (one SQL fragment, `visible`, used
by every path) is in visibility.py."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.core import audit, cache, db, sqlfilter
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.records import changes
from app.records.fields import ID_TYPES
from app.records.visibility import MAX_SECRECY, clearance, mask_row, visible

PERSON_FIELDS = ("kind", "name", "gender", "birthday", "id_type", "id_number", "phone", "email", "wechat", "ethnicity",
                 "political_status", "native_region", "region", "address", "industry", "employer", "job_title",
                 "org", "is_key", "key_category", "key_note", "secrecy", "custom")
EDUCATION_FIELDS = ("degree", "college", "major", "class_node", "class_name", "entry_year", "grad_year", "student_no")
SORTS = {"name": "p.name", "id": "p.id", "created": "p.created_at", "birthday": "p.birthday", "employer": "p.employer"}


class NotFound(Exception):
    """No such person, or not visible to this actor (the same answer: no existence leak)."""


# --- name search without pg_trgm ----------------------------------------------------------------------

def _normal(text: str) -> str:
    return "".join((text or "").lower().split())


def search_terms(name: str) -> list[str]:
    """Every character and every pair of adjacent characters of the name (GIN-indexed)."""
    s = _normal(name)
    return sorted(set(s) | {s[i:i + 2] for i in range(len(s) - 1)})


def query_terms(q: str) -> list[str]:
    s = _normal(q)
    return [s] if len(s) == 1 else sorted({s[i:i + 2] for i in range(len(s) - 1)})


def add_search(where: sqlfilter.Where, q: str) -> None:
    """Digits look up phone, ID and student numbers exactly; text finds names containing it."""
    q = q.strip()
    if not q:
        return
    if q.replace("-", "").replace("X", "").replace("x", "").isdigit() or "@" in q:
        n = where.param(q)
        where.add(f"(p.phone = {n} OR p.id_number = upper({n}) OR lower(p.email) = lower({n})"
                  f" OR EXISTS (SELECT 1 FROM rec_education se WHERE se.person = p.id AND se.student_no = {n}))")
        return
    terms = query_terms(q)[:8]
    where.add(f"p.name_terms @> {where.param(terms)}::varchar[]")
    where.contains("p.name", q)


# --- list ---------------------------------------------------------------------------------------------

@dataclass
class PersonFilters:
    q: str = ""
    kind: str = ""
    college: int | None = None
    entry_year: int | None = None
    org: int | None = None  # tree browse: persons owned by this node's subtree
    tag: int | None = None
    is_key: bool = False

    @classmethod
    def from_query(cls, params) -> PersonFilters:
        return cls(q=sqlfilter.text(params, "q", 100),
                   kind=sqlfilter.choice(params, "kind", ("alumni", "student", "staff")),
                   college=sqlfilter.number(params, "college"), entry_year=sqlfilter.number(params, "entry_year"),
                   org=sqlfilter.number(params, "org"), tag=sqlfilter.number(params, "tag"),
                   is_key=params.get("key") == "1")


def filter_where(actor: Actor, f: PersonFilters, args: list) -> sqlfilter.Where:
    where = sqlfilter.Where(args, visible(actor, args))
    add_search(where, f.q)
    where.equals("p.kind", f.kind)
    if f.college or f.entry_year:
        # Any education record matches (a person may have studied in several colleges).
        conds = ["e.person = p.id"]
        if f.college:
            conds.append(f"e.college = {where.param(f.college)}")
        if f.entry_year:
            conds.append(f"e.entry_year = {where.param(f.entry_year)}")
        where.add(f"EXISTS (SELECT 1 FROM rec_education e WHERE {' AND '.join(conds)})")
    if f.org:
        where.add(f"p.org IN (SELECT id FROM org_node WHERE path LIKE"
                  f" (SELECT path FROM org_node WHERE id = {where.param(f.org)}) || '%')")
    if f.tag:
        where.add(f"EXISTS (SELECT 1 FROM rec_person_tag pt WHERE pt.person = p.id AND pt.tag = {where.param(f.tag)})")
    if f.is_key:
        where.add("p.is_key")
    return where


LIST_COLUMNS = ("p.id, p.kind, p.name, p.gender, p.birthday, p.phone, p.email, p.region, p.employer, p.job_title,"
                " p.industry, p.is_key, p.secrecy, p.custom, p.org, p.created_at, p.id_number, p.ethnicity,"
                " p.political_status, p.native_region, p.wechat, p.address, p.key_category")
# The primary education record shown on list rows: the latest entry year.
PRIMARY_EDUCATION = ("LEFT JOIN LATERAL (SELECT e.degree, e.college, e.major, e.class_name, e.entry_year,"
                     " e.grad_year, e.student_no, c.name AS college_name"
                     " FROM rec_education e LEFT JOIN org_node c ON c.id = e.college"
                     " WHERE e.person = p.id ORDER BY e.entry_year DESC NULLS LAST, e.id DESC LIMIT 1) pe ON TRUE")
COUNT_LIMIT = 10_000  # exact counts stop here: the list says "10,000+"
ESTIMATE_ABOVE = 5_000  # when the planner expects more rows than this, show its estimate ("about N")
COUNT_TTL = 15  # seconds a total may lag behind new rows (the rows themselves are always fresh)


async def _count(sql_where: str, args: list) -> tuple[int, str]:
    """(total, how): "exact", "capped" (more than COUNT_LIMIT) or "estimate". Counting tens of
    thousands of matches costs hundreds of ms at a million alumni; the planner's estimate costs one."""
    plan = await db.fetchval(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM rec_person p WHERE {sql_where}", *args)
    estimate = int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
    if estimate > ESTIMATE_ABOVE:
        return estimate, "estimate"
    total = await db.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM rec_person p WHERE {sql_where}"
                              f" LIMIT {COUNT_LIMIT + 1}) t", *args)
    return (COUNT_LIMIT, "capped") if total > COUNT_LIMIT else (total, "exact")


async def list_people(actor: Actor, f: PersonFilters, req: PageRequest, where: sqlfilter.Where | None = None) -> Page:
    """One page of visible persons; `where` lets the query builder pass its compiled conditions."""
    args: list = [] if where is None else where.args
    where = where or filter_where(actor, f, args)
    sql_where = where.sql()
    # Paging through a result asks for the same total again: share it for a few seconds.
    total, how = await cache.cached(("rec.count", sql_where, repr(args)), COUNT_TTL, lambda: _count(sql_where, args))
    order = req.order_by(SORTS, "p.id DESC").replace(", id", ", p.id")
    window = f"{order} LIMIT {req.per_page} OFFSET {req.offset}"
    education = getattr(where, "ordered_education", None)  # set by tree.ListWhere
    if education and order == "ORDER BY p.id DESC":
        # Newest first under an education condition: walk that condition's index in person order and stop
        # at the page. Robust when matches cluster (a cohort import puts 100,000 non-matching persons on
        # top) and cheap when they do not.
        cond, person_sql = education
        rows = await db.fetch(
            f"SELECT {LIST_COLUMNS}, pe.* FROM (SELECT DISTINCT te.person FROM rec_education te JOIN rec_person p"
            f" ON p.id = te.person WHERE {cond} AND {person_sql} ORDER BY te.person DESC LIMIT {req.per_page}"
            f" OFFSET {req.offset}) k JOIN rec_person p ON p.id = k.person {PRIMARY_EDUCATION} {order}", *args)
    elif how != "exact":
        rows = await db.fetch(f"SELECT {LIST_COLUMNS}, pe.* FROM rec_person p {PRIMARY_EDUCATION}"
                              f" WHERE {sql_where} {window}", *args)
    else:
        # At most COUNT_LIMIT matches (counted): find them all, sort, then join the page's 20. Left to itself the
        # planner walks the table in id order hoping to meet 20 matches early; after a cohort import the
        # newest 100,000 ids may hold none of them (35-70 ms a page at 300,000 alumni instead of 5).
        rows = await db.fetch(f"SELECT {LIST_COLUMNS}, pe.* FROM (SELECT * FROM (SELECT * FROM rec_person p"
                              f" WHERE {sql_where} OFFSET 0) p {window}) p {PRIMARY_EDUCATION} {order}", *args)
    if how == "estimate" and len(rows) < req.per_page:  # the last page tells the exact total
        total, how = req.offset + len(rows), "exact"
    for r in rows:
        r["custom"] = decode_jsonb(r["custom"])
    page = Page([mask_row(actor, r) for r in rows], total, req.page, req.per_page, req.sort)
    page.capped = how == "capped"  # type: ignore[attr-defined]
    page.estimated = how == "estimate"  # type: ignore[attr-defined]
    return page


# --- detail -------------------------------------------------------------------------------------------

async def get_raw(actor: Actor, person_id: int) -> dict:
    """The unmasked row, only if visible to the actor (for edits and merges)."""
    args: list = [person_id]
    row = await db.fetchrow(f"SELECT p.*, o.name AS org_name FROM rec_person p LEFT JOIN org_node o ON o.id = p.org"
                            f" WHERE p.id = $1 AND {visible(actor, args)}", *args)
    if row is None:
        raise NotFound(person_id)
    row["custom"] = decode_jsonb(row["custom"])
    return row


def decode_jsonb(value: Any) -> dict:
    """asyncpg returns jsonb as text."""
    if isinstance(value, str):
        value = json.loads(value)
    return value or {}


async def get_person(actor: Actor, person_id: int) -> dict:
    """Everything the detail page shows, masked for this viewer."""
    person = mask_row(actor, await get_raw(actor, person_id))
    person["educations"] = await db.fetch(
        "SELECT e.*, c.name AS college_name, k.name AS class_node_name FROM rec_education e"
        " LEFT JOIN org_node c ON c.id = e.college LEFT JOIN org_node k ON k.id = e.class_node"
        " WHERE e.person = $1 ORDER BY e.entry_year NULLS LAST, e.id", person_id)
    person["works"] = await db.fetch("SELECT * FROM rec_work WHERE person = $1 ORDER BY is_current DESC,"
                                     " start_date DESC NULLS LAST, id DESC", person_id)
    person["contacts"] = await db.fetch("SELECT * FROM rec_contact_log WHERE person = $1 ORDER BY contacted_at DESC"
                                        " LIMIT 50", person_id)
    person["interactions"] = await db.fetch("SELECT * FROM rec_interaction WHERE person = $1 ORDER BY occurred_at"
                                            " DESC LIMIT 50", person_id)
    person["files"] = await db.fetch("SELECT * FROM rec_file WHERE person = $1 ORDER BY kind, id", person_id)
    person["tags"] = await db.fetch("SELECT t.id, t.name, t.color, t.kind FROM rec_person_tag pt JOIN rec_tag t"
                                    " ON t.id = pt.tag WHERE pt.person = $1 ORDER BY t.name", person_id)
    if not actor.can("rec.key.view"):
        person["key_note"] = ""
        person["key_category"] = ""
    return person


async def classmates(actor: Actor, person_id: int, limit: int = 50) -> list[dict]:
    """同班同学: visible persons sharing a class (class node, or college+major+class name+entry year)."""
    args: list = [person_id]
    rows = await db.fetch(
        f"SELECT DISTINCT p.id, p.name, p.phone, p.employer FROM rec_education mine"
        f" JOIN rec_education e ON e.person <> mine.person AND (e.class_node = mine.class_node OR"
        f" (mine.class_node IS NULL AND e.college = mine.college AND e.entry_year = mine.entry_year"
        f" AND e.class_name = mine.class_name AND mine.class_name <> ''))"
        f" JOIN rec_person p ON p.id = e.person"
        f" WHERE mine.person = $1 AND {visible(actor, args)} ORDER BY p.name LIMIT {int(limit)}", *args)
    return [mask_row(actor, r) for r in rows]


# --- writes -------------------------------------------------------------------------------------------

def _check_org(actor: Actor, org_path: str | None) -> None:
    if not actor.scope.allows(org_path):
        raise Invalid("org", _("Choose an org node inside your data scope."))


async def _org_path(org_id: int | None) -> str | None:
    return await db.fetchval("SELECT path FROM org_node WHERE id = $1", org_id) if org_id else None


def clean_person(data: dict[str, Any]) -> dict[str, Any]:
    """The person columns of `data`, trimmed and checked (Invalid on a bad value); the import uses it too."""
    values = {k: data[k] for k in PERSON_FIELDS if k in data}
    for key in ("id_number", "phone", "email"):
        if key in values:
            values[key] = (values[key] or "").strip() or None
    if values.get("id_number"):
        values["id_number"] = values["id_number"].upper()
    if "id_type" in values:
        values["id_type"] = values["id_type"] or "resident"
        if values["id_type"] not in ID_TYPES:
            raise Invalid("id_type", _("Choose an ID type from the list."))
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise Invalid("name", _("Enter the name."))
    if "secrecy" in values and not 0 <= int(values["secrecy"] or 0) <= MAX_SECRECY:
        raise Invalid("secrecy", _("Choose a secrecy level from the list."))
    return values


async def create_person(actor: Actor, data: dict[str, Any], educations: list[dict] = (), *, method: str = "manual",
                        batch: int | None = None) -> int:
    values = clean_person(data)
    values.setdefault("custom", {})
    _check_org(actor, await _org_path(values.get("org")))
    if int(values.get("secrecy") or 0) > clearance(actor):
        raise Invalid("secrecy", _("You cannot set a secrecy level above your own clearance."))
    values["name_terms"] = search_terms(values["name"])
    cols = list(values)
    placeholders = ", ".join(f"${i + 1}::jsonb" if c == "custom" else f"${i + 1}" for i, c in enumerate(cols))
    async with db.transaction():
        person_id = await db.fetchval(
            f"INSERT INTO rec_person ({', '.join(cols)}, batch, created_by, updated_by) VALUES ({placeholders},"
            f" ${len(cols) + 1}, ${len(cols) + 2}, ${len(cols) + 2}) RETURNING id",
            *[changes.to_json(values[c]) if c == "custom" else values[c] for c in cols], batch, actor.id)
        logged = {k: v for k, v in values.items() if k != "name_terms"}
        await changes.log_row(actor, person_id, method, "basic", person_id, None, logged, batch)
        for education in educations:
            await add_education(actor, person_id, education, method=method, batch=batch, check=False)
        await audit.record(actor, "create", "rec_person", person_id, after=logged, org_id=values.get("org"),
                           summary=values["name"])
    return person_id


async def update_person(actor: Actor, person_id: int, data: dict[str, Any], *, method: str = "manual",
                        batch: int | None = None) -> list[str]:
    """Apply changed fields; returns their names. Custom values merge into the existing ones."""
    async with db.transaction():
        before = await get_raw(actor, person_id)
        values = clean_person(data)
        if "custom" in values:
            values["custom"] = {**(before["custom"] or {}), **(values["custom"] or {})}
        if "org" in values and values["org"] != before["org"]:
            _check_org(actor, await _org_path(values["org"]))
        if int(values.get("secrecy", before["secrecy"]) or 0) > clearance(actor):
            raise Invalid("secrecy", _("You cannot set a secrecy level above your own clearance."))
        old = {k: before[k] for k in values}
        changed = [k for k in values if old[k] != values[k]]
        if not changed:
            return []
        sets = [f"{k} = ${i + 2}" + ("::jsonb" if k == "custom" else "") for i, k in enumerate(changed)]
        args = [changes.to_json(values[k]) if k == "custom" else values[k] for k in changed]
        if "name" in changed:
            sets.append(f"name_terms = ${len(args) + 2}")
            args.append(search_terms(values["name"]))
        await db.execute(f"UPDATE rec_person SET {', '.join(sets)}, updated_at = now(), updated_by = ${len(args) + 2}"
                         f" WHERE id = $1", person_id, *args, actor.id)
        await changes.log_fields(actor, person_id, method, old, {k: values[k] for k in changed}, batch=batch,
                                 was=before)
        await audit.record(actor, "update", "rec_person", person_id, before={k: old[k] for k in changed},
                           after={k: values[k] for k in changed}, org_id=before["org"], summary=before["name"])
    return changed


def clean_education(data: dict[str, Any]) -> dict[str, Any]:
    """The education columns of `data`, years checked (Invalid on a bad value); the import uses it too."""
    values = {k: data.get(k) for k in EDUCATION_FIELDS if k in data}
    for key in ("entry_year", "grad_year"):
        year = values.get(key)
        if year not in (None, ""):
            year = int(year)
            if not 1900 <= year <= date.today().year + 10:
                raise Invalid(key, _("Enter a year between 1900 and %(max)s.", max=date.today().year + 10))
            values[key] = year
        elif key in values:
            values[key] = None
    if values.get("entry_year") and values.get("grad_year") and values["grad_year"] < values["entry_year"]:
        raise Invalid("grad_year", _("The graduation year cannot be before the entry year."))
    return values


async def add_education(actor: Actor, person_id: int, data: dict[str, Any], *, method: str = "manual",
                        batch: int | None = None, check: bool = True) -> int:
    if check:
        await get_raw(actor, person_id)
    values = clean_education(data)
    cols = list(values)
    row_id = await db.fetchval(
        f"INSERT INTO rec_education (person, {', '.join(cols)}, batch, created_by) VALUES ($1,"
        f" {', '.join(f'${i + 2}' for i in range(len(cols)))}, ${len(cols) + 2}, ${len(cols) + 3}) RETURNING id",
        person_id, *[values[c] for c in cols], batch, actor.id)
    await changes.log_row(actor, person_id, method, "education", row_id, None, values, batch)
    return row_id


async def update_education(actor: Actor, person_id: int, education_id: int, data: dict[str, Any], *,
                           method: str = "manual", batch: int | None = None) -> list[str]:
    async with db.transaction():
        await get_raw(actor, person_id)
        before = await db.fetchrow("SELECT * FROM rec_education WHERE id = $1 AND person = $2", education_id, person_id)
        if before is None:
            raise NotFound(education_id)
        values = clean_education(data)
        changed = [k for k in values if before[k] != values[k]]
        if changed:
            sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changed))
            await db.execute(f"UPDATE rec_education SET {sets}, updated_at = now() WHERE id = $1", education_id,
                             *[values[k] for k in changed])
            await changes.log_fields(actor, person_id, method, {k: before[k] for k in changed},
                                     {k: values[k] for k in changed}, section="education", row_id=education_id,
                                     batch=batch, was=before)
    return changed


async def delete_education(actor: Actor, person_id: int, education_id: int) -> None:
    async with db.transaction():
        await get_raw(actor, person_id)
        before = await db.fetchrow("DELETE FROM rec_education WHERE id = $1 AND person = $2 RETURNING *",
                                   education_id, person_id)
        if before is None:
            raise NotFound(education_id)
        await changes.log_row(actor, person_id, "manual", "education", education_id,
                              {k: before[k] for k in EDUCATION_FIELDS}, None, was=before)


async def add_contact(actor: Actor, person_id: int, method: str, summary: str, contacted_at=None) -> int:
    """联络记录 (REC-01, REC-18)."""
    if not (summary or "").strip():
        raise Invalid("summary", _("Write what was discussed."))
    async with db.transaction():
        person = await get_raw(actor, person_id)
        row_id = await db.fetchval(
            "INSERT INTO rec_contact_log (person, contacted_at, method, summary, staff_name, created_by)"
            " VALUES ($1, COALESCE($2, now()), $3, $4, $5, $6) RETURNING id",
            person_id, contacted_at, method, summary.strip()[:2000], actor.name, actor.id)
        await changes.log_row(actor, person_id, "manual", "contact", row_id, None,
                              {"method": method, "summary": summary.strip()[:2000]})
        await audit.record(actor, "create", "rec_contact_log", row_id, org_id=person["org"], summary=person["name"])
    return row_id


# --- identity links (the identity module binds login accounts to records) -----------------------------

async def user_for_student_no(number: str) -> int | None:
    """The login account linked to the one active record holding this student/staff number, if any."""
    rows = await db.fetch('SELECT DISTINCT p."user" FROM rec_education e JOIN rec_person p ON p.id = e.person'
                          " WHERE e.student_no = $1 AND p.status = 'active' AND p.\"user\" IS NOT NULL LIMIT 2",
                          (number or "").strip())
    return rows[0]["user"] if len(rows) == 1 else None


# --- identity claims (IDV-02): matching a claim against the records, and the questions it asks ----------

class AlreadyLinked(Exception):
    """The record is linked to another login account: one record, one account."""

    def __init__(self, person_id: int):
        super().__init__(_("This record is already linked to another account. Ask the alumni office."))
        self.person_id = person_id


QUESTION_FIELDS = ("major", "class_name", "college", "grad_year", "degree")


async def match_by_id(name: str, id_number: str) -> list[dict]:
    """Active records holding exactly this name and ID number: [{id, user, org}] (the caller wants one)."""
    return await db.fetch('SELECT id, "user", org FROM rec_person WHERE status = \'active\' AND name = $1'
                          " AND id_number = $2 ORDER BY id LIMIT 5", (name or "").strip(),
                          (id_number or "").strip().upper())


async def candidates_by_entry_year(name: str, entry_year: int, college: int | None = None) -> list[dict]:
    """Active records with this name and an education row of this entry year (and college, when given):
    [{id, user, org, college, major, class_name, student_no}], one row per person (its matching education)."""
    return await db.fetch(
        'SELECT DISTINCT ON (p.id) p.id, p."user", p.org, e.college, e.major, e.class_name, e.student_no'
        " FROM rec_person p JOIN rec_education e ON e.person = p.id WHERE p.status = 'active' AND p.name = $1"
        " AND e.entry_year = $2 AND ($3::bigint IS NULL OR e.college = $3) ORDER BY p.id, e.id LIMIT 20",
        (name or "").strip(), entry_year, college)


async def question_facts(person_id: int, entry_year: int | None = None) -> dict:
    """What the person's own education row says (the one of `entry_year`, else the latest), for the claim's
    questions: {major, class_name, college (name), college_id, grad_year, degree (code), entry_year}; only
    filled fields. Unscoped: the values never leave the identity service unhashed except as one choice."""
    row = await db.fetchrow(
        "SELECT e.major, e.class_name, e.college AS college_id, c.name AS college, e.grad_year, e.degree,"
        " e.entry_year FROM rec_education e LEFT JOIN org_node c ON c.id = e.college"
        " WHERE e.person = $1 ORDER BY (e.entry_year IS NOT DISTINCT FROM $2) DESC,"
        " e.entry_year DESC NULLS LAST, e.id DESC LIMIT 1", person_id, entry_year)
    return {k: v for k, v in (row or {}).items() if v not in (None, "")}


async def distractors(field: str, exclude: Any, n: int, *, college: int | None = None,
                      entry_year: int | None = None) -> list[str]:
    """Up to 4n other values of an education field found in the records (wrong choices for a question),
    the most alike first (same college, same entry year); the caller picks n of them at random."""
    if field not in QUESTION_FIELDS:
        raise ValueError(field)
    if field == "college":
        rows = await db.fetch("SELECT name AS v FROM org_node WHERE kind = 'college' AND name <> $1"
                              " ORDER BY sort, id LIMIT $2", str(exclude or ""), n * 4)
        return [r["v"] for r in rows]
    column = f"e.{field}"
    rows = await db.fetch(
        f"SELECT {column}::text AS v, max(CASE WHEN e.college = $3 THEN 2 ELSE 0 END"
        f" + CASE WHEN e.entry_year = $4 THEN 1 ELSE 0 END) AS alike FROM rec_education e"
        f" WHERE {column} IS NOT NULL AND {column}::text NOT IN ('', $1) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2",
        str(exclude if exclude is not None else ""), n * 4, college, entry_year)
    return [r["v"] for r in rows]


async def id_number_of(person_id: int) -> str | None:
    """The record's ID number (face verification compares it with the user's real-name check)."""
    return await db.fetchval("SELECT id_number FROM rec_person WHERE id = $1 AND status = 'active'", person_id)


async def person_summary(person_id: int) -> dict | None:
    """Name, owning org and linked account of one active record (unscoped, no personal values beyond the name)."""
    return await db.fetchrow('SELECT p.id, p.name, p.org, p."user" FROM rec_person p WHERE p.id = $1'
                             " AND p.status = 'active'", person_id)


async def link_user(person_id: int, user_id: int, *, actor: Actor, method: str = "self") -> bool:
    """Link the record to a login account (rec_person.user) through the change log; True when it changed.
    Refused with AlreadyLinked when another account holds it; NotFound when the record is not active."""
    async with db.transaction():
        before = await db.fetchrow("SELECT * FROM rec_person WHERE id = $1 AND status = 'active' FOR UPDATE",
                                   person_id)
        if before is None:
            raise NotFound(person_id)
        if before["user"] == user_id:
            return False
        if before["user"] is not None:
            raise AlreadyLinked(person_id)
        await db.execute('UPDATE rec_person SET "user" = $2, updated_at = now(), updated_by = $3 WHERE id = $1',
                         person_id, user_id, actor.id)
        await changes.log_fields(actor, person_id, method, {"user": None}, {"user": user_id}, was=before)
        await audit.record(actor, "link_user", "rec_person", person_id, before={"user": None},
                           after={"user": user_id}, org_id=before["org"], summary=before["name"])
    return True


async def linked_accounts(person_ids: list[int]) -> dict[int, int]:
    """{person id: linked user id} for those of these records that have a login account."""
    rows = await db.fetch('SELECT id, "user" FROM rec_person WHERE id = ANY($1::bigint[]) AND "user" IS NOT NULL',
                          list(person_ids))
    return {r["id"]: r["user"] for r in rows}


async def is_linked_user(user_id: int | None) -> bool:
    """Whether this login account is linked to an active alumni record (a verified alumnus)."""
    if user_id is None:
        return False
    return bool(await db.fetchval("SELECT 1 FROM rec_person WHERE \"user\" = $1 AND status = 'active' LIMIT 1",
                                  user_id))


# --- class spaces ---------------------------------------------------------------------------------------
# The classes module (CLS-01/03) generates class spaces from the records' class field: an education row's
# class node (an org node of kind 'class') or, without one, its college + entry year + class name. These
# reads are unscoped: the classes module decides who sees a class's roster, and secret records never show
# their contacts there.

CLASS_NAME_KEY = r"lower(regexp_replace(normalize(btrim(e.class_name), NFKC), '\s', '', 'g'))"
_NOT_A_CLASS_NODE = "NOT EXISTS (SELECT 1 FROM org_node cn WHERE cn.id = e.class_node AND cn.kind = 'class')"
_NAMED_CLASS = (f"{_NOT_A_CLASS_NODE} AND btrim(e.class_name) <> '' AND e.college IS NOT NULL"
                " AND e.entry_year IS NOT NULL")


def class_name_key(name: str) -> str:
    """The normalised class name the records' class groups are keyed by (the same rule as CLASS_NAME_KEY)."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", (name or "").strip()).split()).lower()


async def class_groups() -> list[dict]:
    """Every class the active records hold, one row each: {class_node, name, college, entry_year, name_key,
    persons, linked}. A class node's name is the node's; its college and entry year are the most common
    among its rows (else the node's nearest college). A named class has class_node None and the most
    common spelling of its name. `linked`: persons whose record is linked to a login account."""
    nodes = await db.fetch(
        "SELECT e.class_node, n.name, COALESCE(mode() WITHIN GROUP (ORDER BY e.college),"
        " (SELECT a.id FROM org_node a WHERE n.path LIKE a.path || '%' AND a.kind = 'college'"
        " ORDER BY a.depth DESC LIMIT 1)) AS college, mode() WITHIN GROUP (ORDER BY e.entry_year) AS entry_year,"
        " NULL::text AS name_key, count(DISTINCT p.id) AS persons,"
        ' count(DISTINCT p.id) FILTER (WHERE p."user" IS NOT NULL) AS linked'
        " FROM rec_education e JOIN rec_person p ON p.id = e.person AND p.status = 'active'"
        " JOIN org_node n ON n.id = e.class_node AND n.kind = 'class' GROUP BY e.class_node, n.name, n.path")
    named = await db.fetch(
        f"SELECT NULL::bigint AS class_node, mode() WITHIN GROUP (ORDER BY btrim(e.class_name)) AS name,"
        f" e.college, e.entry_year, {CLASS_NAME_KEY} AS name_key, count(DISTINCT p.id) AS persons,"
        f' count(DISTINCT p.id) FILTER (WHERE p."user" IS NOT NULL) AS linked'
        f" FROM rec_education e JOIN rec_person p ON p.id = e.person AND p.status = 'active'"
        f" WHERE {_NAMED_CLASS} GROUP BY e.college, e.entry_year, {CLASS_NAME_KEY}")
    return nodes + named


async def class_linked_persons(user_id: int | None = None) -> list[dict]:
    """Every active record linked to a login account (or to this one), with the class(es) it belongs to:
    {class_node, college, entry_year, name_key, person, user} (class_node None for a named class), one row
    per class and person."""
    who = 'p."user" = $1' if user_id is not None else 'p."user" IS NOT NULL'
    return await db.fetch(
        f"SELECT DISTINCT CASE WHEN n.id IS NOT NULL THEN e.class_node END AS class_node,"
        f" CASE WHEN n.id IS NULL THEN e.college END AS college,"
        f" CASE WHEN n.id IS NULL THEN e.entry_year END AS entry_year,"
        f" CASE WHEN n.id IS NULL THEN {CLASS_NAME_KEY} END AS name_key, p.id AS person, p.\"user\""
        f" FROM rec_education e JOIN rec_person p ON p.id = e.person AND p.status = 'active'"
        f" AND {who} LEFT JOIN org_node n ON n.id = e.class_node AND n.kind = 'class'"
        f" WHERE n.id IS NOT NULL OR ({_NAMED_CLASS})", *([user_id] if user_id is not None else []))


async def class_roster(*, class_node: int | None = None, college: int | None = None,
                       entry_year: int | None = None, name_key: str = "") -> list[dict]:
    """The active persons of one class (a class node, or college + entry year + normalised name as in
    class_groups), by name: {id, name, user, phone, email, employer, industry, job_title, secret}; the
    contact values of records with a secrecy level (secret) are left empty."""
    contacts = ("CASE WHEN p.secrecy > 0 THEN NULL ELSE p.phone END AS phone,"
                " CASE WHEN p.secrecy > 0 THEN NULL ELSE p.email END AS email,"
                " CASE WHEN p.secrecy > 0 THEN '' ELSE p.employer END AS employer,"
                " CASE WHEN p.secrecy > 0 THEN '' ELSE p.industry END AS industry,"
                " CASE WHEN p.secrecy > 0 THEN '' ELSE p.job_title END AS job_title, p.secrecy > 0 AS secret")
    if class_node is not None:
        return await db.fetch(
            f'SELECT DISTINCT p.id, p.name, p."user", {contacts} FROM rec_education e'
            f" JOIN rec_person p ON p.id = e.person AND p.status = 'active' WHERE e.class_node = $1"
            f" ORDER BY p.name, p.id", class_node)
    return await db.fetch(
        f'SELECT DISTINCT p.id, p.name, p."user", {contacts} FROM rec_education e'
        f" JOIN rec_person p ON p.id = e.person AND p.status = 'active' WHERE e.college = $1"
        f" AND e.entry_year = $2 AND {CLASS_NAME_KEY} = $3 AND {_NAMED_CLASS} ORDER BY p.name, p.id",
        college, entry_year, name_key)


async def linked_profiles(user_ids: list[int]) -> dict[int, dict]:
    """{user id: the newest active record linked to it: {id, name, phone, email, employer, industry,
    job_title, secrecy}} for those of these accounts that have one."""
    rows = await db.fetch(
        'SELECT DISTINCT ON (p."user") p."user", p.id, p.name, p.phone, p.email, p.employer, p.industry,'
        " p.job_title, p.secrecy FROM rec_person p WHERE p.\"user\" = ANY($1::bigint[]) AND p.status = 'active'"
        ' ORDER BY p."user", p.id DESC', list(user_ids))
    return {r.pop("user"): r for r in rows}

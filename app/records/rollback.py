"""Rollback of person changes (REC-08/12/13/16): undo one change row or a whole batch by replaying the
change log backwards in one transaction — restore old field values, delete created rows, re-create
deleted rows (a merge's moved rows go back because their `person` field is logged like any other).

A change is refused (RollbackConflict) when a later, still effective change touched the same field or
row: that later change must be rolled back first. The rollback is itself logged (method "rollback",
in a batch of kind "rollback") and audited; rolled-back rows and batches are marked.

The rows' update stamps (updated_at/updated_by) come back too, from each change row's `old_stamp`: a
rollback is not an edit of the record, it is visible in the change log, on the batch and in the audit
log, while the record again says who changed it last among the changes still in effect."""
from __future__ import annotations

import json

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied
from app.records.api import search_terms

# change-log section -> table holding that section's rows (basic: the person itself)
TABLES = {"basic": "rec_person", "custom": "rec_person", "education": "rec_education", "work": "rec_work",
          "contact": "rec_contact_log", "file": "rec_file", "tag": "rec_person_tag",
          "interaction": "rec_interaction"}
PERSON_SECTIONS = ("basic", "custom")


class RollbackConflict(Conflict):
    """Later changes touched the same fields; `later` lists them (dicts with id, batch, field, person…)."""

    def __init__(self, message: str, later: list[dict]):
        super().__init__(message)
        self.later = later


_columns_cache: dict[str, set[str]] = {}


async def _columns(table: str) -> set[str]:
    if table not in _columns_cache:
        rows = await db.fetch("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
                              " AND table_name = $1", table)
        _columns_cache[table] = {r["column_name"] for r in rows}
    return _columns_cache[table]


def _target_sql(alias: str) -> str:
    """The id of the row a change is about: the person for person-level sections, else row_id."""
    return f"(CASE WHEN {alias}.section IN ('basic', 'custom') THEN {alias}.person ELSE {alias}.row_id END)"


# A later change `l` blocks rolling back `c` when it is still effective and touches the same thing.
CONFLICT_SQL = f"""
SELECT DISTINCT ON (l.id) l.id, l.batch, l.person, l.section, l.field, l.method, l.actor_name, l.at, c.id AS blocked
FROM rec_change c JOIN rec_change l ON l.id > c.id AND NOT l.rolled_back AND l.method <> 'rollback'
  AND NOT (l.id = ANY($1::bigint[]))
WHERE c.id = ANY($1::bigint[]) AND (
  (c.section IN ('basic', 'custom') AND c.field = '' AND l.person = c.person)
  OR (l.section = c.section AND {_target_sql('l')} = {_target_sql('c')} AND (
      c.field = '' OR l.field = '' OR l.field = c.field
      OR (c.field LIKE 'custom%' AND l.field LIKE 'custom%' AND (c.field = 'custom' OR l.field = 'custom'))))
  OR (c.section NOT IN ('basic', 'custom') AND l.section IN ('basic', 'custom')
      AND l.field = '' AND l.person = c.person AND l.new IS NULL))
ORDER BY l.id
"""


async def conflicts(change_ids: list[int]) -> list[dict]:
    return await db.fetch(CONFLICT_SQL, change_ids)


def _conflict_message(later: list[dict]) -> str:
    first = later[0]
    where = (_("batch #%(batch)s", batch=first["batch"]) if first["batch"] else
             _("change #%(id)s", id=first["id"]))
    return _("A later change (%(where)s by %(actor)s on %(at)s) touched the same data. Roll back the later one"
             " first.", where=where, actor=first["actor_name"] or "—", at=first["at"].strftime("%Y-%m-%d %H:%M"))


async def _check_scope(actor: Actor, change_ids: list[int]) -> None:
    """Every person the rows touch (and that still exists) must be inside the actor's data scope."""
    if actor.scope.all:
        return
    args: list = [change_ids]
    outside = await db.fetchval(
        f"SELECT count(*) FROM rec_person p WHERE p.id IN (SELECT person FROM rec_change WHERE id = ANY($1::bigint[]))"
        f" AND NOT {actor.scope.sql('p.org', None, args)}", *args)
    if outside:
        raise PermissionDenied()


async def _restore_fields(rows: list[dict]) -> None:
    """Field changes (no row ops among them): per table and field, set-based, the earliest old value wins."""
    groups: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        groups.setdefault((TABLES[r["section"]], r["field"]), []).append(r["id"])
    for (table, field), ids in groups.items():
        pick = (f"SELECT DISTINCT ON (target) target, old FROM (SELECT {_target_sql('c')} AS target, c.old, c.id"
                f" FROM rec_change c WHERE c.id = ANY($1::bigint[])) s ORDER BY target, id")
        if field.startswith("custom."):
            await db.execute(
                f"UPDATE rec_person t SET custom = CASE WHEN x.old IS NULL THEN COALESCE(t.custom, '{{}}') - $2"
                f" ELSE jsonb_set(COALESCE(t.custom, '{{}}'), ARRAY[$2::text], x.old) END FROM ({pick}) x"
                f" WHERE t.id = x.target", ids, field[len("custom."):])
            continue
        if field not in await _columns(table) or field == "id":
            raise Conflict(_("The change log names an unknown field %(field)s.", field=field))
        await db.execute(
            f'UPDATE {table} t SET "{field}" = (jsonb_populate_record(NULL::{table},'
            f' jsonb_build_object($2::text, x.old)))."{field}" FROM ({pick}) x WHERE t.id = x.target', ids, field)


# Per row: the writes after its last still-effective change are all rolled back; the earliest of them
# (with a stamp) says what the stamps were before. Rows written after the log (updated_at later than
# any logged write) keep theirs. Writes of one transaction share `at`, so a half-undone write counts as live.
STAMP_SQL = """
WITH hist AS (
  SELECT {key} AS target, h.id, h.at, h.rolled_back, h.old_stamp FROM rec_change h
  WHERE h.person = ANY($1::bigint[]) AND {key} = ANY($2::bigint[]) AND h.section = ANY($3::text[])
    AND h.method <> 'rollback'),
live AS (SELECT target, max(at) AS at FROM hist WHERE NOT rolled_back GROUP BY target),
last AS (SELECT target, max(at) AS at FROM hist GROUP BY target),
pick AS (SELECT DISTINCT ON (h.target) h.target, h.old_stamp FROM hist h LEFT JOIN live l ON l.target = h.target
         WHERE h.rolled_back AND (l.at IS NULL OR h.at > l.at) AND h.old_stamp ? 'updated_at'
         ORDER BY h.target, h.at, h.id)
UPDATE {table} t SET updated_at = (p.old_stamp ->> 'updated_at')::timestamptz,
  updated_by = (p.old_stamp ->> 'updated_by')::bigint
FROM pick p JOIN last ON last.target = p.target
WHERE t.id = p.target AND t.updated_at <= last.at
"""


async def _restore_stamps(rows: list[dict]) -> None:
    """After the replay (rows already marked rolled back): put back the stamps of every row touched."""
    sections: dict[str, set[str]] = {}
    for r in rows:
        sections.setdefault(TABLES[r["section"]], set()).add(r["section"])
    for table, names in sections.items():
        if "updated_at" not in await _columns(table):
            continue  # person tags, interactions: no stamps
        person_level = table == "rec_person"
        mine = [r for r in rows if r["section"] in names]
        targets = sorted({r["person"] if person_level else r["row_id"] for r in mine})
        persons = sorted({r["person"] for r in mine})
        await db.execute(STAMP_SQL.format(key="h.person" if person_level else "h.row_id", table=table),
                         persons, targets, sorted(PERSON_SECTIONS if person_level else names))


async def _undo_row(r: dict) -> None:
    """A row op: created → delete it; deleted → insert it again with its old id and values."""
    table = TABLES[r["section"]]
    target = r["person"] if r["section"] in PERSON_SECTIONS else r["row_id"]
    if r["old"] is None:  # it was created
        await db.execute(f"DELETE FROM {table} WHERE id = $1", target)
        return
    old = {**_decode(r.get("old_stamp")), **_decode(r["old"])}  # the deleted row's stamps, unless logged in full
    old["id"] = target
    if table != "rec_person":
        old.setdefault("person", r["person"])
    cols = [c for c in old if c in await _columns(table)]
    col_sql = ", ".join(f'"{c}"' for c in cols)
    await db.execute(f"INSERT INTO {table} ({col_sql}) SELECT {col_sql} FROM jsonb_populate_record(NULL::{table},"
                     f" $1::jsonb) ON CONFLICT (id) DO NOTHING", _encode({c: old[c] for c in cols}))


def _decode(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def _encode(value) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _replay(actor: Actor, rows: list[dict], batch_id: int) -> None:
    """Rows newest first. Consecutive field changes go set-based; row ops one by one in order."""
    run: list[dict] = []
    for r in rows:
        if r["field"]:
            run.append(r)
            continue
        if run:
            await _restore_fields(run)
            run = []
        await _undo_row(r)
    if run:
        await _restore_fields(run)
    ids = [r["id"] for r in rows]
    # The rollback's own log: the inverse of every replayed row, newest first.
    await db.execute(
        "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name)"
        " SELECT person, $2, 'rollback', section, row_id, field, new, old, $3, $4 FROM rec_change"
        " WHERE id = ANY($1::bigint[]) ORDER BY id DESC", ids, batch_id, actor.id, actor.name)
    await db.execute("UPDATE rec_change SET rolled_back = TRUE WHERE id = ANY($1::bigint[])", ids)
    await _restore_stamps(rows)
    # name_terms follow the name (search index) for persons whose name came back or who came back.
    renamed = {r["person"] for r in rows if r["section"] in PERSON_SECTIONS and r["field"] in ("name", "")}
    for person_id in renamed:
        name = await db.fetchval("SELECT name FROM rec_person WHERE id = $1", person_id)
        if name is not None:
            await db.execute("UPDATE rec_person SET name_terms = $2 WHERE id = $1", person_id, search_terms(name))


async def _run(actor: Actor, rows: list[dict], summary: str, ref: str) -> int:
    if not rows:
        raise Conflict(_("These changes were already rolled back."))
    ids = [r["id"] for r in rows]
    if any(r["method"] == "rollback" for r in rows):
        raise Conflict(_("A rollback cannot itself be rolled back."))
    await _check_scope(actor, ids)
    later = await conflicts(ids)
    if later:
        raise RollbackConflict(_conflict_message(later), later)
    from app.records import changes

    batch_id = await changes.open_batch(actor, "rollback", summary, ref)
    await _replay(actor, rows, batch_id)
    return batch_id


async def rollback_batch(actor: Actor, batch_id: int) -> int:
    """Undo every still-effective change of a batch; returns the rollback's own batch id."""
    async with db.transaction():
        batch = await db.fetchrow("SELECT * FROM rec_batch WHERE id = $1 FOR UPDATE", batch_id)
        if batch is None:
            raise LookupError(batch_id)
        if batch["kind"] == "rollback":
            raise Conflict(_("A rollback cannot itself be rolled back."))
        if batch["status"] == "rolled_back":
            raise Conflict(_("This batch was already rolled back."))
        rows = await db.fetch("SELECT * FROM rec_change WHERE batch = $1 AND NOT rolled_back ORDER BY id DESC"
                              " FOR UPDATE", batch_id)
        summary = _("Roll back batch #%(id)s: %(summary)s", id=batch_id, summary=batch["summary"])
        new_batch = await _run(actor, rows, summary, f"batch:{batch_id}")
        await db.execute("UPDATE rec_batch SET status = 'rolled_back', rolled_back_at = now(), rolled_back_by = $2"
                         " WHERE id = $1", batch_id, actor.id)
        await audit.record(actor, "rollback", "rec_batch", batch_id, summary=summary[:200],
                           after={"changes": len(rows), "rollback_batch": new_batch})
    return new_batch


async def rollback_change(actor: Actor, change_id: int) -> int:
    """Undo one change row (a field, or a created/deleted row)."""
    async with db.transaction():
        rows = await db.fetch("SELECT * FROM rec_change WHERE id = $1 FOR UPDATE", change_id)
        if not rows:
            raise LookupError(change_id)
        row = rows[0]
        if row["rolled_back"]:
            raise Conflict(_("This change was already rolled back."))
        summary = _("Roll back change #%(id)s", id=change_id)
        new_batch = await _run(actor, rows, summary, f"change:{change_id}")
        if row["batch"] and not await db.fetchval("SELECT count(*) FROM rec_change WHERE batch = $1 AND NOT"
                                                  " rolled_back", row["batch"]):
            await db.execute("UPDATE rec_batch SET status = 'rolled_back', rolled_back_at = now(),"
                             " rolled_back_by = $2 WHERE id = $1", row["batch"], actor.id)
        await audit.record(actor, "rollback", "rec_change", change_id, summary=summary,
                           before={"field": row["field"], "value": _decode_plain(row["new"])},
                           after={"field": row["field"], "value": _decode_plain(row["old"])})
    return new_batch


def _decode_plain(value):
    return json.loads(value) if isinstance(value, str) else value

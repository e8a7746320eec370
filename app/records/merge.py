"""Merge two person records (REC-12): the survivor keeps its id; for every differing field the admin
picks whose value wins ("smart merge" preselects: a non-empty value, else the more recently changed
one, the survivor on ties). Education records are combined (identical ones dropped), tags, contact
log, files, work history and interactions move over, the other person becomes status "merged".
Everything happens in one batch of kind "merge", so rollback.rollback_batch restores both exactly."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core import audit, db, dictionary
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.masking import shown
from app.records import api, changes, fields

# Sections whose rows simply move to the survivor: (change-log section, table).
MOVED = (("work", "rec_work"), ("contact", "rec_contact_log"), ("file", "rec_file"),
         ("interaction", "rec_interaction"))
EDUCATION_KEY = ("degree", "college", "major", "class_node", "class_name", "entry_year", "grad_year", "student_no")
NOT_MERGED = ("created_at",)


@dataclass
class MergeField:
    code: str
    label: str
    survivor_value: str  # as shown to this viewer (masked)
    other_value: str
    differs: bool
    take_other: bool  # preselected by smart merge


@dataclass
class MergePlan:
    survivor: dict
    other: dict
    fields: list[MergeField] = field(default_factory=list)

    @property
    def differing(self) -> list[MergeField]:
        return [f for f in self.fields if f.differs]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _value(person: dict, spec: fields.FieldSpec) -> Any:
    return (person.get("custom") or {}).get(spec.code) if spec.custom else person.get(spec.code)


async def merge_fields() -> list[fields.FieldSpec]:
    """Person-level fields (built-in and custom) a merge decides on; education is combined instead."""
    return [f for f in await fields.catalogue() if not f.per_education and f.code not in NOT_MERGED
            and f.kind != "file"]


async def _display(actor: Actor, spec: fields.FieldSpec, value: Any) -> str:
    if _empty(value):
        return "—"
    if spec.kind == "bool":
        return _("Yes") if value else _("No")
    if spec.choices:
        return dict(spec.choices).get(str(value), str(value))
    if spec.dict_type:
        labels = dict(await dictionary.choices(spec.dict_type))
        if isinstance(value, list):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if spec.mask:
        return shown(actor, spec.mask, str(value))
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


async def _last_changed(person_ids: list[int]) -> dict[tuple[int, str], Any]:
    rows = await db.fetch("SELECT person, field, max(at) AS at FROM rec_change WHERE person = ANY($1::bigint[])"
                          " AND section = 'basic' AND field <> '' AND NOT rolled_back GROUP BY person, field",
                          person_ids)
    return {(r["person"], r["field"]): r["at"] for r in rows}


def _when(stamps: dict, person: dict, spec: fields.FieldSpec) -> Any:
    """When this person's value of the field last changed (the change log, else the record's update)."""
    keys = (f"custom.{spec.code}", "custom") if spec.custom else (spec.code,)
    return next((stamps[(person["id"], k)] for k in keys if (person["id"], k) in stamps), person["updated_at"])


async def plan(actor: Actor, survivor_id: int, other_id: int) -> MergePlan:
    """Both records side by side with the smart-merge preselection (both must be visible)."""
    if survivor_id == other_id:
        raise Invalid("other", _("Choose two different records."))
    survivor = await api.get_raw(actor, survivor_id)
    other = await api.get_raw(actor, other_id)
    stamps = await _last_changed([survivor_id, other_id])
    result = MergePlan(survivor, other)
    for spec in await merge_fields():
        mine, theirs = _value(survivor, spec), _value(other, spec)
        differs = mine != theirs and not (_empty(mine) and _empty(theirs))
        take = False
        if differs:
            if _empty(mine):
                take = True
            elif not _empty(theirs):
                take = _when(stamps, other, spec) > _when(stamps, survivor, spec)  # survivor wins ties
        result.fields.append(MergeField(spec.code, spec.title, await _display(actor, spec, mine),
                                        await _display(actor, spec, theirs), differs, take))
    return result


async def _move(actor: Actor, section: str, table: str, other_id: int, survivor_id: int, batch: int,
                where: str = "TRUE") -> int:
    """Re-point the other person's rows to the survivor (set-based) and log each move as a field change."""
    rows = await db.fetch(f"UPDATE {table} SET person = $2 WHERE person = $1 AND {where} RETURNING id",
                          other_id, survivor_id)
    ids = [r["id"] for r in rows]
    if ids:
        await db.execute(
            "INSERT INTO rec_change (person, batch, method, section, row_id, field, old, new, actor, actor_name)"
            " SELECT $1, $2, 'merge', $3, r, 'person', to_jsonb($1::bigint), to_jsonb($4::bigint), $5, $6"
            " FROM unnest($7::bigint[]) AS r", other_id, batch, section, survivor_id, actor.id, actor.name, ids)
    return len(ids)


async def _drop(actor: Actor, section: str, table: str, other_id: int, batch: int, where: str) -> int:
    """Delete the other person's rows the survivor already has; the full rows are logged for rollback."""
    rows = await db.fetch(f"DELETE FROM {table} x WHERE x.person = $1 AND {where} RETURNING x.*", other_id)
    for row in rows:
        await changes.log_row(actor, other_id, "merge", section, row["id"], row, None, batch, was=row)
    return len(rows)


async def _move_login(actor: Actor, survivor: dict, other: dict, batch: int) -> None:
    """The alumnus' login account follows the surviving record when that one has none (else the survivor
    keeps its own). Logged as two field changes, so rolling the merge back relinks it."""
    if not other.get("user") or survivor.get("user"):
        return
    await db.execute('UPDATE rec_person SET "user" = NULL WHERE id = $1', other["id"])
    await changes.log_fields(actor, other["id"], "merge", {"user": other["user"]}, {"user": None}, batch=batch,
                             was=other)
    await db.execute('UPDATE rec_person SET "user" = $2 WHERE id = $1', survivor["id"], other["user"])
    await changes.log_fields(actor, survivor["id"], "merge", {"user": None}, {"user": other["user"]}, batch=batch,
                             was=survivor)


async def merge(actor: Actor, survivor_id: int, other_id: int, take_other: list[str]) -> int:
    """Merge `other` into `survivor`, taking the listed fields' values from `other`; returns the batch id."""
    if survivor_id == other_id:
        raise Invalid("other", _("Choose two different records."))
    specs = {f.code: f for f in await merge_fields()}
    async with db.transaction():
        # Lock both in id order (no deadlock with a merge of the same pair the other way round).
        await db.execute("SELECT id FROM rec_person WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                         [survivor_id, other_id])
        survivor = await api.get_raw(actor, survivor_id)
        other = await api.get_raw(actor, other_id)
        batch = await changes.open_batch(actor, "merge", _("Merge %(other)s (#%(oid)s) into %(survivor)s (#%(sid)s)",
                                                           other=other["name"], oid=other_id,
                                                           survivor=survivor["name"], sid=survivor_id),
                                         ref=f"{survivor_id}<{other_id}")
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for code in take_other:
            spec = specs.get(code)
            if spec is None:
                raise Invalid(code, _("This field cannot be merged."))
            if spec.custom:
                custom[code] = _value(other, spec)
            else:
                values[code] = other.get(code)
        if custom:
            values["custom"] = custom
        if values:
            await api.update_person(actor, survivor_id, values, method="merge", batch=batch)
        # Education: drop records identical to one of the survivor's, move the rest.
        same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM x.{c}" for c in EDUCATION_KEY)
        await _drop(actor, "education", "rec_education", other_id, batch,
                    f"EXISTS (SELECT 1 FROM rec_education s WHERE s.person = {int(survivor_id)} AND {same})")
        await _move(actor, "education", "rec_education", other_id, survivor_id, batch)
        # Tags: the survivor keeps one membership per tag.
        await _drop(actor, "tag", "rec_person_tag", other_id, batch,
                    f"EXISTS (SELECT 1 FROM rec_person_tag s WHERE s.person = {int(survivor_id)} AND s.tag = x.tag)")
        await _move(actor, "tag", "rec_person_tag", other_id, survivor_id, batch)
        for section, table in MOVED:
            await _move(actor, section, table, other_id, survivor_id, batch)
        await _move_login(actor, survivor, other, batch)
        await db.execute("UPDATE rec_person SET status = 'merged', merged_into = $2, updated_at = now(),"
                         " updated_by = $3 WHERE id = $1", other_id, survivor_id, actor.id)
        await changes.log_fields(actor, other_id, "merge", {"status": other["status"], "merged_into": None},
                                 {"status": "merged", "merged_into": survivor_id}, batch=batch, was=other)
        await audit.record(actor, "merge", "rec_person", survivor_id, org_id=survivor["org"],
                           summary=f"{other['name']} #{other_id} → {survivor['name']} #{survivor_id}",
                           after={"merged": other_id, "fields": sorted(take_other), "batch": batch})
    return batch


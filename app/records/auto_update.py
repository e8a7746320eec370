"""Auto-update from alumni's own changes (REC-15). Other modules (verification, events, class space,
self-api) call `apply_self_update(person_id, values, source)` whenever an alumnus changes their
own data. A rule per field (rec_rule kind "auto_update") decides: "overwrite" applies at once
(method "self"), "fill_empty" applies only where the record has no value yet (method "auto"),
"review" (the default) stores a proposal and opens a todo for whoever has rec.person.edit in the
person's org scope; its action page applies or rejects the proposed values."""
from __future__ import annotations

import json
from typing import Any

from app.core import audit, db, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import shown
from app.core.permissions import Scope
from app.records import fields, visibility
from app.records import persons as api

MODES = {"overwrite": L("Overwrite"), "fill_empty": L("Fill if empty"), "review": L("Needs review")}
DEFAULT_MODE = "review"
METHOD = {"overwrite": "self", "fill_empty": "auto"}
TODO_KIND = "rec.review"
NOT_SELF = ("kind", "is_key", "key_category", "secrecy", "created_at")  # decided by staff, never by the alumnus


async def self_fields() -> list[fields.FieldSpec]:
    """Fields an alumnus' own change may reach (person level, not staff-only)."""
    return [f for f in await fields.catalogue() if not f.per_education and f.code not in NOT_SELF
            and f.kind != "file"]


async def modes() -> dict[str, str]:
    return {r["field"]: r["mode"] for r in await db.fetch(
        "SELECT field, mode FROM rec_rule WHERE kind = 'auto_update' AND enabled")}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _current(person: dict, spec: fields.FieldSpec) -> Any:
    return (person.get("custom") or {}).get(spec.code) if spec.custom else person.get(spec.code)


def _as_person_values(specs: dict[str, fields.FieldSpec], values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, value in values.items():
        if specs[code].custom:
            out.setdefault("custom", {})[code] = value
        else:
            out[code] = value
    return out


def _normal(spec: fields.FieldSpec, value: Any) -> Any:
    if spec.kind == "date" and isinstance(value, str) and value:
        from datetime import date

        return date.fromisoformat(value)
    return value


def _self_actor(person: dict, source: str) -> Actor:
    # The alumnus acts on their own record: the write is not limited by an admin's scope.
    return Actor(person.get("user"), (f"self:{source}")[:64], scope=Scope(all=True), is_superuser=True)


async def apply_self_update(person_id: int, values: dict, source: str) -> dict[str, list[str]]:
    """Apply an alumnus' own change per the field rules; returns {"applied", "review", "ignored"} codes."""
    specs = {f.code: f for f in await self_fields()}
    rule = await modes()
    result: dict[str, list[str]] = {"applied": [], "review": [], "ignored": []}
    person = await api.get_raw(_self_actor({}, source), person_id)
    actor = _self_actor(person, source)
    by_method: dict[str, dict[str, Any]] = {}
    proposal: dict[str, Any] = {}
    for code, raw in values.items():
        spec = specs.get(code)
        if spec is None:
            result["ignored"].append(code)
            continue
        value = _normal(spec, raw)
        current = _current(person, spec)
        if value == current or (_empty(value) and _empty(current)):
            result["ignored"].append(code)
            continue
        mode = rule.get(code, DEFAULT_MODE)
        if mode == "fill_empty" and not _empty(current):
            result["ignored"].append(code)
        elif mode in METHOD:
            by_method.setdefault(METHOD[mode], {})[code] = value
            result["applied"].append(code)
        else:
            proposal[code] = value
            result["review"].append(code)
    async with db.transaction():
        for method, chosen in by_method.items():
            await api.update_person(actor, person_id, _as_person_values(specs, chosen), method=method)
        if proposal:
            await _propose(actor, person, proposal, source)
    return result


async def _propose(actor: Actor, person: dict, proposal: dict, source: str) -> int:
    from app.records import changes

    proposal_id = await db.fetchval('INSERT INTO rec_proposal (person, "values", source) VALUES ($1, $2::jsonb, $3)'
                                    " RETURNING id", person["id"], changes.to_json(proposal), source[:32])
    await todos.open_todo(TODO_KIND, f"rec_proposal:{proposal_id}",
                          _("Review profile changes of %(name)s", name=person["name"]),
                          f"/admin/records/proposals/{proposal_id}", "rec.person.edit", person["org"])
    await audit.record(actor, "propose", "rec_person", person["id"], after=proposal, org_id=person["org"],
                       summary=person["name"])
    return proposal_id


# --- the review todo's action page -------------------------------------------------------------------

async def get_proposal(actor: Actor, proposal_id: int) -> dict:
    """The proposal with the person's current values; NotFound outside the actor's scope."""
    row = await db.fetchrow("SELECT * FROM rec_proposal WHERE id = $1", proposal_id)
    if row is None:
        raise api.NotFound(proposal_id)
    person = await api.get_raw(actor, row["person"])
    proposed = json.loads(row["values"]) if isinstance(row["values"], str) else row["values"]
    specs = {f.code: f for f in await self_fields()}
    row["person_row"] = visibility.mask_row(actor, dict(person))
    row["items"] = []
    for code, value in proposed.items():
        spec = specs.get(code)
        current = _current(person, spec) if spec else None
        if spec and spec.mask:  # personal values as this viewer may see them (SUP-16)
            current = shown(actor, spec.mask, current) if current else current
            value = shown(actor, spec.mask, value) if value else value
        row["items"].append({"code": code, "label": spec.title if spec else code, "current": current,
                             "proposed": value})
    return row


async def decide(actor: Actor, proposal_id: int, accept: list[str] | None) -> list[str]:
    """Apply the accepted fields of a proposal (None or empty list: reject all); closes its todo."""
    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM rec_proposal WHERE id = $1 FOR UPDATE", proposal_id)
        if row is None:
            raise api.NotFound(proposal_id)
        if row["status"] != "open":
            raise Conflict(_("This proposal was already decided."))
        await api.get_raw(actor, row["person"])  # scope check
        proposed = json.loads(row["values"]) if isinstance(row["values"], str) else row["values"]
        specs = {f.code: f for f in await self_fields()}
        chosen = {c: _normal(specs[c], proposed[c]) for c in (accept or []) if c in proposed and c in specs}
        if accept and not chosen:
            raise Invalid("accept", _("Choose values from the proposal."))
        applied: list[str] = []
        if chosen:
            await api.update_person(actor, row["person"], _as_person_values(specs, chosen), method="self")
            applied = sorted(chosen)
        status = "applied" if applied else "rejected"
        await db.execute("UPDATE rec_proposal SET status = $2, decided_at = now(), decided_by = $3,"
                         " decided_by_name = $4, applied = $5::jsonb WHERE id = $1", proposal_id, status, actor.id,
                         actor.name, json.dumps(applied))
        await todos.close_todo(f"rec_proposal:{proposal_id}", actor.id)
        await audit.record(actor, status == "applied" and "approve" or "reject", "rec_proposal", proposal_id,
                           after={"applied": applied})
    return applied


# --- rule editing (rec.rules.edit) -------------------------------------------------------------------------

async def rules() -> list[dict]:
    return await db.fetch("SELECT * FROM rec_rule WHERE kind = 'auto_update' ORDER BY field")


async def save_rule(actor: Actor, rule_id: int | None, field_code: str, mode: str, enabled: bool = True) -> int:
    if field_code not in {f.code for f in await self_fields()}:
        raise Invalid("field", _("Choose a field from the list."))
    if mode not in MODES:
        raise Invalid("mode", _("Choose a mode from the list."))
    async with db.transaction():
        clash = await db.fetchval("SELECT id FROM rec_rule WHERE kind = 'auto_update' AND field = $1"
                                  " AND id IS DISTINCT FROM $2", field_code, rule_id)
        if clash and rule_id is not None:
            raise Invalid("field", _("This field already has a rule; edit that one."))
        rule_id = rule_id or clash  # one rule per field: saving a field again changes its rule
        if rule_id is None:
            rule_id = await db.fetchval(
                "INSERT INTO rec_rule (kind, name, fields, field, mode, enabled, created_by, updated_by)"
                " VALUES ('auto_update', '', '{}', $1, $2, $3, $4, $4) RETURNING id",
                field_code, mode, enabled, actor.id)
        else:
            status = await db.execute("UPDATE rec_rule SET field = $2, mode = $3, enabled = $4, updated_at = now(),"
                                      " updated_by = $5 WHERE id = $1 AND kind = 'auto_update'",
                                      rule_id, field_code, mode, enabled, actor.id)
            if status.endswith(" 0"):
                raise LookupError(rule_id)
        await audit.record(actor, "save", "rec_rule", rule_id,
                           after={"kind": "auto_update", "field": field_code, "mode": mode, "enabled": enabled},
                           summary=field_code)
    return rule_id

"""The expert edits their own record (EXP-03): fields listed in the site setting `experts.gated_fields`
(default employer, title, specialty, fields of expertise) wait for an admin's approval; the others apply at
once. Either way the change lands in the before/after history, and admins get a todo (inbox + email)."""
from __future__ import annotations

import json

from app.core import audit, db, settings_store, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.experts import experts

GATED_SETTING = "experts.gated_fields"
settings_store.DEFAULTS.setdefault(GATED_SETTING, ["employer", "title", "specialty", "fields"])
SELF_EDITABLE = ("email", "gender", "birth_date", "postcode", "region", "industry", "employer", "title",
                 "specialty", "fields")
TODO_KIND = "exp.change"


class NotFound(Exception):
    pass


async def gated() -> set[str]:
    return set(await settings_store.get(GATED_SETTING) or [])


async def submit(actor: Actor, expert_id: int, data: dict) -> tuple[list[str], list[str]]:
    """Apply the free fields, file the gated ones for approval. Returns (applied, waiting)."""
    async with db.transaction():
        before = await experts.get(expert_id)
        if before["status"] != "formal":
            raise Conflict(_("Only formal experts can edit their profile."))
        values = experts.clean({**before, **{k: data.get(k) for k in SELF_EDITABLE}, "phone": before["phone"],
                                "name": before["name"]})
        changed = [k for k in SELF_EDITABLE if values[k] != before.get(k)]
        if await db.fetchval("SELECT 1 FROM exp_change_request WHERE expert = $1 AND status = 'pending'",
                             expert_id) and any(k in await gated() for k in changed):
            raise Invalid("__all__", _("An earlier change is still waiting for approval."))
        waiting = [k for k in changed if k in await gated()]
        applied = await experts.apply_change(actor, before, {k: values[k] for k in changed if k not in waiting})
        if waiting:
            old = experts.plain({k: before.get(k) for k in waiting})
            new = experts.plain({k: values[k] for k in waiting})
            request_id = await db.fetchval(
                "INSERT INTO exp_change_request (expert, before, after, created_by) VALUES ($1, $2::jsonb,"
                " $3::jsonb, $4) RETURNING id", expert_id, json.dumps(old, ensure_ascii=False),
                json.dumps(new, ensure_ascii=False), actor.id)
            await todos.open_todo(TODO_KIND, f"exp.change:{request_id}",
                                  _("Profile change of expert %(name)s", name=before["name"]),
                                  f"/admin/experts/changes/{request_id}", "exp.expert.edit")
            await audit.record(actor, "request_change", "exp_expert", expert_id, summary=before["number"],
                               before=old, after=new)
    return applied, waiting


async def get(request_id: int) -> dict:
    row = await db.fetchrow("SELECT c.*, e.name, e.number FROM exp_change_request c JOIN exp_expert e"
                            " ON e.id = c.expert WHERE c.id = $1", request_id)
    if row is None:
        raise NotFound()
    for k in ("before", "after"):
        row[k] = json.loads(row[k]) if isinstance(row[k], str) else row[k]
    row["keys"] = sorted(set(row["before"]) | set(row["after"]))
    return row


async def pending() -> list[dict]:
    return [await get(r["id"]) for r in await db.fetch(
        "SELECT id FROM exp_change_request WHERE status = 'pending' ORDER BY created_at, id LIMIT 200")]


async def decide(actor: Actor, request_id: int, approve: bool, note: str = "") -> None:
    async with db.transaction():
        row = await get(request_id)
        if row["status"] != "pending":
            raise Conflict(_("This change was already decided."))
        if approve:
            before = await experts.get(row["expert"])
            values = experts.clean({**before, **row["after"]})
            await experts.apply_change(actor, before, {k: values[k] for k in row["after"]})
        await db.execute("UPDATE exp_change_request SET status = $2, note = $3, decided_by = $4, decided_at = now()"
                         " WHERE id = $1", request_id, "approved" if approve else "rejected", note[:500], actor.id)
        await todos.close_todo(f"exp.change:{request_id}", actor.id)
        await audit.record(actor, "approve_change" if approve else "reject_change", "exp_expert", row["expert"],
                           summary=row["number"], after={"request": request_id, "note": note})

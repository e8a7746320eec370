"""Work history (工作履历, REC-01): rows of rec_work edited by admins, each change in the person's change
log (section "work") so the update log can roll it back like an education record."""
from __future__ import annotations

from datetime import date
from typing import Any

from app.core import audit, db, dictionary
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.records import api, changes

WORK_FIELDS = ("employer", "industry", "job_title", "region", "start_date", "end_date", "is_current")


async def work_form(data: dict) -> Form:
    form = Form([
        Field("employer", _("Employer"), required=True, max_length=200),
        Field("job_title", _("Job title"), max_length=100),
        Field("industry", _("Industry"), "select", dict_type="industry"),
        Field("region", _("Region"), "select", dict_type="region"),
        Field("start_date", _("From"), "date"),
        Field("end_date", _("To"), "date"),
        Field("is_current", _("Current job"), "checkbox"),
    ], {k: ("" if data.get(k) is None else data.get(k)) for k in WORK_FIELDS})
    await dictionary.resolve_choices(form)
    return form


def work_values(form: Form) -> dict[str, Any]:
    c = form.cleaned
    return {"employer": c["employer"], "job_title": c["job_title"] or "", "industry": c["industry"] or "",
            "region": c["region"] or "", "start_date": c["start_date"], "end_date": c["end_date"],
            "is_current": bool(c["is_current"])}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: data.get(k) for k in WORK_FIELDS if k in data}
    values["employer"] = (values.get("employer") or "").strip()
    if not values["employer"]:
        raise Invalid("employer", _("Enter the employer."))
    start, end = values.get("start_date"), values.get("end_date")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise Invalid("end_date", _("The end date cannot be before the start date."))
    if values.get("is_current") and end:
        raise Invalid("end_date", _("A current job has no end date."))
    return values


async def get_work(actor: Actor, person_id: int, work_id: int) -> dict:
    await api.get_raw(actor, person_id)  # scope and clearance first
    row = await db.fetchrow("SELECT * FROM rec_work WHERE id = $1 AND person = $2", work_id, person_id)
    if row is None:
        raise api.NotFound(work_id)
    return row


async def add_work(actor: Actor, person_id: int, data: dict[str, Any]) -> int:
    values = _clean(data)
    async with db.transaction():
        person = await api.get_raw(actor, person_id)
        cols = list(values)
        work_id = await db.fetchval(
            f"INSERT INTO rec_work (person, {', '.join(cols)}, created_by, updated_by) VALUES ($1, "
            f"{', '.join(f'${i + 2}' for i in range(len(cols)))}, ${len(cols) + 2}, ${len(cols) + 2}) RETURNING id",
            person_id, *[values[c] for c in cols], actor.id)
        await changes.log_row(actor, person_id, "manual", "work", work_id, None, values)
        await audit.record(actor, "create", "rec_work", work_id, after=values, org_id=person["org"],
                           summary=person["name"])
    return work_id


async def update_work(actor: Actor, person_id: int, work_id: int, data: dict[str, Any]) -> list[str]:
    values = _clean(data)
    async with db.transaction():
        person = await api.get_raw(actor, person_id)
        before = await db.fetchrow("SELECT * FROM rec_work WHERE id = $1 AND person = $2 FOR UPDATE", work_id,
                                   person_id)
        if before is None:
            raise api.NotFound(work_id)
        changed = [k for k in values if before[k] != values[k]]
        if changed:
            sets = ", ".join(f"{k} = ${i + 3}" for i, k in enumerate(changed))
            await db.execute(f"UPDATE rec_work SET {sets}, updated_at = now(), updated_by = $2 WHERE id = $1",
                             work_id, actor.id, *[values[k] for k in changed])
            await changes.log_fields(actor, person_id, "manual", {k: before[k] for k in changed},
                                     {k: values[k] for k in changed}, section="work", row_id=work_id, was=before)
            await audit.record(actor, "update", "rec_work", work_id, before={k: before[k] for k in changed},
                               after={k: values[k] for k in changed}, org_id=person["org"], summary=person["name"])
    return changed


async def delete_work(actor: Actor, person_id: int, work_id: int) -> None:
    async with db.transaction():
        person = await api.get_raw(actor, person_id)
        before = await db.fetchrow("DELETE FROM rec_work WHERE id = $1 AND person = $2 RETURNING *", work_id, person_id)
        if before is None:
            raise api.NotFound(work_id)
        old = {k: before[k] for k in WORK_FIELDS}
        await changes.log_row(actor, person_id, "manual", "work", work_id, old, None, was=before)
        await audit.record(actor, "delete", "rec_work", work_id, before=old, org_id=person["org"],
                           summary=person["name"])

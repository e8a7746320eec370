"""The expert record (EXP-11, EXP-14, EXP-16): admin entry with the phone unique, the list with keyword and
field search, edits with a before/after history, the delete list and the blacklist (reason, audited)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from app.core import audit, db, phones, query_tree
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.masking import shown
from app.core.pagination import Page, PageRequest
from app.experts import taxonomy

# The fields of the record an admin or the expert edits (the history keeps these before/after).
EDITABLE = ("name", "gender", "birth_date", "phone", "email", "employer", "title", "specialty", "industry",
            "region", "postcode", "expert_type", "fields")
STATUSES = ("formal", "deleted", "blacklisted")
# How the change history and the approval queue name the fields (the keys stay in the stored history).
FIELD_LABELS = {"name": L("Name"), "gender": L("Gender"), "birth_date": L("Date of birth"),
                "phone": L("Mobile number"), "email": L("Email"), "employer": L("Employer"),
                "title": L("Professional title"), "specialty": L("Specialty"), "industry": L("Industry"),
                "region": L("Region"), "postcode": L("Postcode"), "expert_type": L("Expert type"),
                "fields": L("Fields of expertise"), "status": L("Status")}
VALID_YEARS = 3


class NotFound(Exception):
    pass


@dataclass
class ExpertFilters:
    q: str = ""
    status: str = "formal"
    fields: list[int] = field(default_factory=list)

    @classmethod
    def from_query(cls, params) -> ExpertFilters:
        status = params.get("status") or "formal"
        ids = [int(v) for v in params.getall("field", []) if str(v).isdigit()] if hasattr(params, "getall") else []
        return cls(q=(params.get("q") or "").strip()[:100], status=status if status in STATUSES else "formal",
                   fields=ids)


def clean(data: dict) -> dict:
    """The record's values from a form (or an import row), checked; raises Invalid(field, message)."""
    name = (data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    if len(name) > 64:
        raise Invalid("name", _("At most %(n)s characters.", n=64))
    out = {"name": name, "phone": phones.or_invalid(data.get("phone"))}
    for key, limit in (("gender", 8), ("email", 254), ("employer", 200), ("title", 64), ("specialty", 200),
                       ("industry", 64), ("region", 64), ("postcode", 16)):
        value = (data.get(key) or "").strip() if isinstance(data.get(key), str) else (data.get(key) or "")
        if len(str(value)) > limit:
            raise Invalid(key, _("At most %(n)s characters.", n=limit))
        out[key] = str(value)
    if out["email"] and ("@" not in out["email"] or "." not in out["email"].partition("@")[2]):
        raise Invalid("email", _("Enter a valid email address."))
    birth = data.get("birth_date")
    if isinstance(birth, str) and birth.strip():
        try:
            birth = date.fromisoformat(birth.strip())
        except ValueError:
            raise Invalid("birth_date", _("Enter a date as YYYY-MM-DD.")) from None
    out["birth_date"] = birth or None
    out["expert_type"] = data.get("expert_type") if data.get("expert_type") in ("individual", "organisation") \
        else "individual"
    raw = data.get("fields") or []
    out["fields"] = sorted({int(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v).isdigit()})
    return out


async def _check_fields(ids: list[int]) -> None:
    if ids and await db.fetchval("SELECT count(*) FROM exp_field WHERE id = ANY($1::bigint[])", ids) != len(ids):
        raise Invalid("fields", _("Choose from the list."))


async def phone_taken(phone: str, exclude: int | None = None) -> dict | None:
    """The live expert (not deleted) who already has this phone, if any."""
    return await db.fetchrow("SELECT id, name, number, status FROM exp_expert WHERE phone = $1"
                             " AND status <> 'deleted' AND id IS DISTINCT FROM $2", phone, exclude)


def duplicate_message(other: dict) -> str:
    return _("The phone number is already used by expert %(name)s (%(number)s).", name=other["name"],
             number=other["number"])


async def create(actor: Actor, data: dict, *, source: str = "admin", recommended_by: int | None = None,
                 user_id: int | None = None) -> int:
    """A formal expert (admin entry, import, approved application); the phone must be new to the pool."""
    values = clean(data)
    await _check_fields(values["fields"])
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock(hashtext('exp_phone:' || $1))", values["phone"])
        if other := await phone_taken(values["phone"]):
            raise Invalid("phone", duplicate_message(other))
        expert_id = await db.fetchval("SELECT nextval(pg_get_serial_sequence('exp_expert', 'id'))")
        number = f"EXP{date.today().year}{expert_id:06d}"
        valid_until = date.today().replace(year=date.today().year + VALID_YEARS)
        await db.execute(
            "INSERT INTO exp_expert (id, name, gender, birth_date, phone, email, employer, title, specialty, industry,"
            " region, postcode, expert_type, fields, source, recommended_by, \"user\", number, valid_until, created_by)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)",
            expert_id, values["name"], values["gender"], values["birth_date"], values["phone"], values["email"],
            values["employer"], values["title"], values["specialty"], values["industry"], values["region"],
            values["postcode"], values["expert_type"], values["fields"], source, recommended_by, user_id, number,
            valid_until, actor.id)
        await audit.record(actor, "create", "exp_expert", expert_id, summary=number,
                           after={**values, "source": source, "number": number})
    return expert_id


async def get(expert_id: int) -> dict:
    row = await db.fetchrow(
        "SELECT e.*, r.name AS recommender_name, r.number AS recommender_number FROM exp_expert e"
        " LEFT JOIN exp_expert r ON r.id = e.recommended_by WHERE e.id = $1", expert_id)
    if row is None:
        raise NotFound()
    row["field_labels"] = await taxonomy.labels(row["fields"])
    return row


async def for_user(user_id: int) -> dict | None:
    expert_id = await db.fetchval("SELECT id FROM exp_expert WHERE \"user\" = $1 AND status <> 'deleted'"
                                  " ORDER BY id LIMIT 1", user_id)
    return await get(expert_id) if expert_id else None


def masked(viewer: Actor, row: dict) -> dict:
    """The record as this viewer may see it: phone and email masked without the clear view (EXP-17)."""
    out = dict(row)
    out["phone"] = shown(viewer, "phone", row.get("phone"))
    out["email"] = shown(viewer, "email", row.get("email"))
    return out


async def search(viewer: Actor, filters: ExpertFilters, req: PageRequest) -> Page:
    """Keyword (name, employer, specialty, number, title) and fields. Never the phone: finding an expert by a typed
    number would confirm it outside the reveal window (contact.py)."""
    args: list = [filters.status]
    where = ["e.status = $1"]
    if filters.q:
        args.append(f"%{filters.q}%")
        like = query_tree.like_operator(filters.q)
        cols = ["e.name", "e.employer", "e.specialty", "e.number", "e.title"]
        where.append("(" + " OR ".join(f"{c} {like} ${len(args)}" for c in cols) + ")")
    if filters.fields:
        args.append(await taxonomy.subtree_ids(filters.fields))
        where.append(f"e.fields && ${len(args)}::bigint[]")
    sql_where = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM exp_expert e WHERE {sql_where}", *args)
    order = req.order_by({"name": "e.name", "number": "e.number", "created": "e.created_at"}, "e.id DESC")
    rows = await db.fetch(f"SELECT e.id, e.name, e.phone, e.email, e.employer, e.title, e.number, e.status,"
                          f" e.status_reason, e.source, e.fields FROM exp_expert e WHERE {sql_where} {order}"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([masked(viewer, r) for r in rows], total, req.page, req.per_page, req.sort)


def plain(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


async def update(actor: Actor, expert_id: int, data: dict) -> list[str]:
    """Apply an edit; the changed fields go to the before/after history and the audit log. Returns them."""
    values = clean(data)
    await _check_fields(values["fields"])
    async with db.transaction():
        before = await get(expert_id)
        if values["phone"] != before["phone"] and (other := await phone_taken(values["phone"], expert_id)):
            raise Invalid("phone", duplicate_message(other))
        return await apply_change(actor, before, values)


async def apply_change(actor: Actor, before: dict, values: dict) -> list[str]:
    """Write the changed fields of `values` onto the expert `before` (in the caller's transaction)."""
    changed = [k for k in EDITABLE if k in values and values[k] != before.get(k)]
    if not changed:
        return []
    sets = ", ".join(f'"{k}" = ${i + 2}' for i, k in enumerate(changed))
    await db.execute(f"UPDATE exp_expert SET {sets}, updated_at = now(), updated_by = ${len(changed) + 2}"
                     " WHERE id = $1", before["id"], *[values[k] for k in changed], actor.id)
    old = plain({k: before.get(k) for k in changed})
    new = plain({k: values[k] for k in changed})
    await db.execute("INSERT INTO exp_change (expert, before, after, actor, actor_name)"
                     " VALUES ($1, $2::jsonb, $3::jsonb, $4, $5)", before["id"], json.dumps(old, ensure_ascii=False),
                     json.dumps(new, ensure_ascii=False), actor.id, actor.name)
    await audit.record(actor, "update", "exp_expert", before["id"], summary=before["number"], before=old, after=new)
    return changed


async def history(expert_id: int) -> list[dict]:
    rows = await db.fetch("SELECT id, before, after, actor_name, created_at FROM exp_change WHERE expert = $1"
                          " ORDER BY created_at DESC, id DESC", expert_id)
    for r in rows:
        r["before"] = json.loads(r["before"]) if isinstance(r["before"], str) else r["before"]
        r["after"] = json.loads(r["after"]) if isinstance(r["after"], str) else r["after"]
        r["keys"] = sorted(set(r["before"]) | set(r["after"]))
    return rows


async def set_status(actor: Actor, expert_id: int, status: str, reason: str) -> None:
    """Delete (to the delete list), blacklist, or restore to formal; a reason is required to remove (EXP-14)."""
    if status not in STATUSES:
        raise ValueError(status)
    reason = (reason or "").strip()
    if status != "formal" and not reason:
        raise Invalid("reason", _("Give a reason."))
    async with db.transaction():
        row = await get(expert_id)
        if row["status"] == status:
            raise Conflict(_("The expert already has this status."))
        if status == "formal" and row["status"] == "deleted" and (other := await phone_taken(row["phone"])):
            raise Conflict(duplicate_message(other))
        await db.execute("UPDATE exp_expert SET status = $2, status_reason = $3, updated_at = now(), updated_by = $4"
                         " WHERE id = $1", expert_id, status, reason[:500], actor.id)
        await audit.record(actor, {"formal": "restore", "deleted": "delete", "blacklisted": "blacklist"}[status],
                           "exp_expert", expert_id, summary=reason[:200] or row["number"],
                           before={"status": row["status"]}, after={"status": status, "reason": reason})


async def is_drawable(expert_id: int) -> bool:
    """False for deleted and blacklisted experts: they are never drawn and cannot accept invitations."""
    return await db.fetchval("SELECT status = 'formal' FROM exp_expert WHERE id = $1", expert_id) is True

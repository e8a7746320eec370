"""Custom fields of person records (REC-02): admins define, edit, disable and reorder them. A field
lives in rec_field; its values in rec_person.custom under its code. fields.catalogue() reads the
enabled ones, so forms, detail, query, import and export pick them up without code changes."""
from __future__ import annotations

import functools
import re

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.records import api, fields

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# Names a custom field may not take: built-in fields and the columns of the person/education rows.
RESERVED = {"id", "status", "user", "photo", "batch", "merged_into", "name_terms", "created_at", "updated_at",
            "created_by", "updated_by", "id_type", "key_note", "custom", "org", "person", "class_node", "q",
            "page", "sort", "cols"}
EDITABLE = ("label", "label_en", "section", "dict_type", "required", "visible", "sort")
DICT_KINDS = ("select", "multiselect")


class NotFound(Exception):
    pass


def builtin_codes() -> set[str]:
    return ({f.code for f in fields.builtin_fields()} | set(api.PERSON_FIELDS) | set(api.EDUCATION_FIELDS)
            | RESERVED)


def _changes_catalogue(fn):
    """Field writes drop the cached catalogue once committed, so this process's next page shows them."""
    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        result = await fn(*args, **kwargs)
        fields.forget_catalogue()
        return result

    return wrapper


async def dict_types() -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT code, name FROM dict_type ORDER BY code")
    return [(r["code"], f"{r['name']} ({r['code']})") for r in rows]


def field_form(data: dict | None = None, dict_choices=(), creating: bool = True) -> Form:
    """The definition form; code and kind are fixed once a field exists (stored values depend on them)."""
    form_fields = []
    if creating:
        form_fields += [
            Field("code", L("Code"), required=True, max_length=40,
                  help=L("Lower-case letters, digits and _, starting with a letter; cannot be changed later.")),
            Field("kind", L("Kind"), "select", required=True, choices=[(k, v) for k, v in fields.KINDS.items()]),
        ]
    form_fields += [
        Field("label", L("Label (Chinese)"), required=True, max_length=64),
        Field("label_en", L("Label (English)"), max_length=64),
        Field("section", L("Section"), "select", required=True, choices=[(k, v) for k, v in fields.SECTIONS.items()]),
        Field("dict_type", L("Dictionary"), "select", choices=list(dict_choices),
              help=L("Required for select and multiple choice fields.")),
        Field("sort", L("Order"), "int", min_value=0, max_value=9999),
        Field("required", L("Required"), "checkbox"),
        Field("visible", L("Visible on detail pages and list columns"), "checkbox"),
    ]
    return Form(form_fields, data or {})


async def list_fields() -> list[dict]:
    rows = await db.fetch("SELECT f.*, (SELECT count(*) FROM rec_person p WHERE p.custom ? f.code) AS used"
                          " FROM rec_field f ORDER BY f.section, f.sort, f.id")
    for r in rows:
        r["section_label"] = str(fields.SECTIONS.get(r["section"], r["section"]))
        r["kind_label"] = str(fields.KINDS.get(r["kind"], r["kind"]))
    return rows


async def get_field(field_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM rec_field WHERE id = $1", field_id)
    if row is None:
        raise NotFound(field_id)
    return row


async def _check(values: dict, kind: str) -> None:
    if values["section"] not in fields.SECTIONS:
        raise Invalid("section", _("Choose a section from the list."))
    if kind in DICT_KINDS:
        if not values.get("dict_type"):
            raise Invalid("dict_type", _("Choose the dictionary the values come from."))
        if not await db.fetchval("SELECT 1 FROM dict_type WHERE code = $1", values["dict_type"]):
            raise Invalid("dict_type", _("Choose a dictionary from the list."))
    else:
        values["dict_type"] = ""


@_changes_catalogue
async def create_field(actor: Actor, data: dict) -> int:
    code = (data.get("code") or "").strip()
    kind = data.get("kind") or "text"
    if not CODE_RE.match(code):
        raise Invalid("code", _("Use 2 to 40 lower-case letters, digits or _, starting with a letter."))
    if code in builtin_codes():
        raise Invalid("code", _("This code belongs to a built-in field; choose another."))
    if kind not in fields.KINDS:
        raise Invalid("kind", _("Choose a kind from the list."))
    values = {k: data.get(k) for k in EDITABLE}
    values["label_en"] = values.get("label_en") or ""
    values["required"], values["visible"] = bool(values.get("required")), bool(values.get("visible"))
    await _check(values, kind)
    async with db.transaction():
        if await db.fetchval("SELECT 1 FROM rec_field WHERE code = $1", code):
            raise Invalid("code", _("A field with this code already exists."))
        if values.get("sort") is None:
            values["sort"] = await db.fetchval("SELECT COALESCE(max(sort), 0) + 10 FROM rec_field WHERE section = $1",
                                               values["section"])
        field_id = await db.fetchval(
            "INSERT INTO rec_field (code, kind, label, label_en, section, dict_type, required, visible, sort, enabled,"
            " created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, TRUE, $10, $10) RETURNING id",
            code, kind, values["label"], values["label_en"], values["section"], values["dict_type"],
            values["required"], values["visible"], values["sort"], actor.id)
        await audit.record(actor, "create", "rec_field", field_id, after={"code": code, "kind": kind, **values},
                           summary=code)
    return field_id


@_changes_catalogue
async def update_field(actor: Actor, field_id: int, data: dict) -> list[str]:
    async with db.transaction():
        before = await get_field(field_id)
        values = {k: data.get(k) for k in EDITABLE}
        values["label_en"] = values.get("label_en") or ""
        values["required"], values["visible"] = bool(values.get("required")), bool(values.get("visible"))
        if values.get("sort") is None:
            values["sort"] = before["sort"]
        await _check(values, before["kind"])
        changed = [k for k in EDITABLE if before[k] != values[k]]
        if changed:
            sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changed))
            await db.execute(f"UPDATE rec_field SET {sets}, updated_at = now(), updated_by = ${len(changed) + 2}"
                             f" WHERE id = $1", field_id, *[values[k] for k in changed], actor.id)
            await audit.record(actor, "update", "rec_field", field_id, before={k: before[k] for k in changed},
                               after={k: values[k] for k in changed}, summary=before["code"])
    return changed


@_changes_catalogue
async def set_enabled(actor: Actor, field_id: int, enabled: bool) -> None:
    """Disabling hides the field everywhere; stored values stay and come back when re-enabled."""
    async with db.transaction():
        before = await get_field(field_id)
        if before["enabled"] == enabled:
            return
        await db.execute("UPDATE rec_field SET enabled = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         field_id, enabled, actor.id)
        await audit.record(actor, "enable" if enabled else "disable", "rec_field", field_id,
                           before={"enabled": before["enabled"]}, after={"enabled": enabled}, summary=before["code"])


@_changes_catalogue
async def move(actor: Actor, field_id: int, direction: str) -> None:
    """Move a field one place up or down within its section (renumbers the section 10, 20, 30 …)."""
    async with db.transaction():
        row = await get_field(field_id)
        ids = [r["id"] for r in await db.fetch("SELECT id FROM rec_field WHERE section = $1 ORDER BY sort, id"
                                               " FOR UPDATE", row["section"])]
        i = ids.index(field_id)
        j = i - 1 if direction == "up" else i + 1
        if not 0 <= j < len(ids):
            return
        ids[i], ids[j] = ids[j], ids[i]
        await db.execute("UPDATE rec_field f SET sort = x.n * 10, updated_at = now() FROM"
                         " unnest($1::bigint[]) WITH ORDINALITY AS x(id, n) WHERE f.id = x.id", ids)
        await audit.record(actor, "reorder", "rec_field", field_id, after={"order": ids, "direction": direction},
                           summary=row["code"])

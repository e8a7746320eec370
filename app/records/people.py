"""Admin pages of person records (REC-01, REC-03): list columns from the field catalogue, dictionary labels
for list cells, filter choices in the viewer's scope, archive photos and files, and the person's change log.
Person reads and writes themselves live in api.py; this adds what the admin pages need around them."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup

from app.core import audit, db, sessions, uploads
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import current_locale
from app.core.i18n import gettext as _
from app.core.storage import storage
from app.records import api, changes, fields, labels

# catalogue code → list sort key understood by api.SORTS
SORT_KEYS = {"name": "name", "birthday": "birthday", "employer": "employer", "created_at": "created"}
# catalogue code → key of the list row (the primary education's college comes with its name)
ROW_KEYS = {"college": "college_name"}
FILE_KINDS = ("photo", "file")


def can_see(actor: Actor, spec: fields.FieldSpec) -> bool:
    """Key alumni details (重点校友) need rec.key.view; the secrecy level is shown to everyone who sees the row."""
    return spec.section != "key" or spec.code == "secrecy" or actor.can("rec.key.view")


def list_columns(actor: Actor, specs: list[fields.FieldSpec]) -> list[dict]:
    """Columns of the alumni list, for components/table.html: the catalogue's default columns first, then
    every other field (built-in and custom) the column chooser offers. Cells with dictionary codes, choices,
    custom values or flags are rendered by `list_table`'s cell functions."""
    out = []
    for s in specs:
        if not can_see(actor, s) or s.kind == "file":
            continue
        plain = not s.custom and not s.dict_type and not s.choices and s.kind != "bool" and s.code != "name"
        out.append({"key": ROW_KEYS.get(s.code, s.code), "code": s.code, "label": s.title,
                    "sort": SORT_KEYS.get(s.code), "custom": not plain, "is_custom": s.custom,
                    "dict_type": s.dict_type, "choices": dict(s.choices), "kind": s.kind,
                    "type": "date" if s.kind == "date" else "", "empty": "—", "default": s.list_default})
    return sorted(out, key=lambda c: not c["default"])  # stable: catalogue order within each group


async def list_table(actor: Actor, specs: list[fields.FieldSpec]) -> list[dict]:
    """The alumni list's columns with every cell formatted in Python (a template caller per
    cell was a third of the page's time at 20 rows × 9 columns)."""
    columns = list_columns(actor, specs)
    names = await code_labels(columns)
    badge = Markup(' <span class="badge">%s</span>') % _("Key") if actor.can("rec.key.view") else None
    for col in columns:
        if col["custom"]:
            col["render"], col["custom"] = _cell_renderer(col, names.get(col["dict_type"] or "", {}), badge), False
    return columns


async def cached_list_table(actor: Actor, specs: list[fields.FieldSpec]) -> list[dict]:
    """list_table once per user and catalogue (the same list object until a field changes): the columns
    follow the user's permissions, which the shell cache is dropped with. Callers must not change them."""
    async def compute():
        return specs, await list_table(actor, specs)

    if actor.id is None:
        return await list_table(actor, specs)
    key = ("rec.columns", current_locale.get())
    held, columns = await sessions.shell_value(actor.id, key, compute)
    if held is not specs:  # the catalogue was rebuilt since (a field changed)
        sessions.shell_forget(actor.id, key)
        held, columns = await sessions.shell_value(actor.id, key, compute)
    return columns


def _cell_renderer(col: dict, names: dict[str, str], badge: Markup | None):
    code, key, is_custom, choices = col["code"], col["key"], col["is_custom"], col["choices"]
    yes_no = (_("Yes"), _("No"))

    def render(row: dict) -> Any:
        if code == "name":
            link = Markup('<a href="/admin/records/%s">%s</a>') % (row["id"], row["name"])
            return link + badge if badge is not None and row.get("is_key") else link
        raw = (row.get("custom") or {}).get(code) if is_custom else row.get(key)
        if raw is None or raw == "" or raw == []:
            return "—"
        if col["dict_type"]:
            return labels.codes_text(names, raw, col["dict_type"])
        if choices:
            return choices.get(str(raw), raw)
        if col["kind"] == "bool":
            return yes_no[0] if raw else yes_no[1]
        if isinstance(raw, dict):
            return raw.get("name", "")
        if isinstance(raw, (list, tuple)):
            return ", ".join(str(v) for v in raw)
        return raw

    return render


def default_columns(columns: list[dict]) -> list[dict]:
    return [c for c in columns if c["default"]]


async def code_labels(columns: list[dict]) -> dict[str, dict[str, str]]:
    """dictionary type → {code: label} for every dictionary the columns use: one (cached) read per type,
    not one per cell."""
    return await labels.name_maps(c.get("dict_type") for c in columns)


async def cached_college_options(actor: Actor) -> list[tuple[str, str]]:
    """college_options per user until the org tree changes (org writes drop every user's shell data)."""
    if actor.id is None:
        return await college_options(actor)
    return await sessions.shell_value(actor.id, "rec.colleges", lambda: college_options(actor))


async def college_options(actor: Actor) -> list[tuple[str, str]]:
    """College nodes inside the viewer's data scope (their subtree may hold a college below it too)."""
    args: list = []
    scope = actor.scope.sql("n.id", None, args)
    rows = await db.fetch(f"SELECT n.id, n.name FROM org_node n WHERE n.kind = 'college' AND n.enabled AND {scope}"
                          f" ORDER BY n.sort, n.id", *args)
    return [(str(r["id"]), r["name"]) for r in rows]


# --- archive photos and files (档案照片 / 档案文件) ------------------------------------------------------

async def add_file(actor: Actor, person_id: int, kind: str, title: str, filename: str, data: bytes) -> int:
    if kind not in FILE_KINDS:
        raise Invalid("kind", _("Choose from the list."))
    person = await api.get_raw(actor, person_id)  # visible, else NotFound
    stored = await uploads.save(filename or "", data, images_only=kind == "photo", field="file")
    values = {"kind": kind, "title": (title or "").strip()[:200] or stored.name, "filename": stored.name,
              "content_type": stored.content_type, "size": stored.size}
    async with db.transaction():
        file_id = await db.fetchval(
            "INSERT INTO rec_file (person, kind, title, storage_key, filename, content_type, size, created_by,"
            " updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            person_id, kind, values["title"], stored.key, stored.name, stored.content_type, stored.size, actor.id)
        await changes.log_row(actor, person_id, "manual", "file", file_id, None, values)
        await audit.record(actor, "create", "rec_file", file_id, after=values, org_id=person["org"],
                           summary=person["name"])
    return file_id


async def read_file(actor: Actor, person_id: int, file_id: int) -> tuple[dict, bytes]:
    """A stored archive file of a person the actor may see (NotFound otherwise: no leak)."""
    await api.get_raw(actor, person_id)
    row = await db.fetchrow("SELECT * FROM rec_file WHERE id = $1 AND person = $2", file_id, person_id)
    if row is None or not storage().exists(row["storage_key"]):
        raise api.NotFound(file_id)
    return row, storage().get(row["storage_key"])


async def save_custom_file(code: str, upload: Any) -> dict | None:
    """A custom file field's upload → the value kept in person.custom (None when no file was chosen)."""
    if not getattr(upload, "filename", None):
        return None
    stored = await uploads.save(upload.filename, await upload.read(), field=f"custom.{code}")
    return {"key": stored.key, "name": stored.name, "size": stored.size, "type": stored.content_type}


async def read_custom_file(actor: Actor, person_id: int, code: str) -> tuple[dict, bytes]:
    person = await api.get_raw(actor, person_id)
    value = (person["custom"] or {}).get(code)
    spec = (await fields.by_code()).get(code)
    if not spec or not spec.custom or spec.kind != "file" or not isinstance(value, dict) \
            or not value.get("key") or not storage().exists(value["key"]):
        raise api.NotFound(code)
    return value, storage().get(value["key"])


async def delete_file(actor: Actor, person_id: int, file_id: int) -> dict:
    """Removes the archive entry; the stored blob stays so rolling the change back restores the file."""
    async with db.transaction():
        person = await api.get_raw(actor, person_id)
        row = await db.fetchrow("DELETE FROM rec_file WHERE id = $1 AND person = $2 RETURNING *", file_id, person_id)
        if row is None:
            raise api.NotFound(file_id)
        old = {k: row[k] for k in ("kind", "title", "storage_key", "filename", "content_type", "size")}
        await changes.log_row(actor, person_id, "manual", "file", file_id, old, None, was=row)
        await audit.record(actor, "delete", "rec_file", file_id, before=old, org_id=person["org"],
                           summary=person["name"])
    return row

"""Forms built from typed fields (OPS-02 signup forms; OPS-05 surveys build on the same): an admin adds
questions — text, long text, single and multiple choice, date, phone, email, number, ID number (GB 11643
checksum), file, image (sniffed, EXIF stripped) and agreement — each required or not, and optionally asked only
when an earlier answer is one of some values (skip logic). The filled form is checked on the server, with the
hidden questions skipped, and stored as one response (answers by key; uploads as storage keys).

Without JavaScript every question is shown, a conditional one with its condition in its help text; with JS
(static/js/ops-forms.js) the page hides what does not apply. Either way the server decides."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from app.content import api as content
from app.core import audit, db, id_numbers, uploads
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

KINDS = {
    "text": L("Short text"), "textarea": L("Long text"), "choice": L("Single choice"),
    "multiple": L("Multiple choice"), "date": L("Date"), "phone": L("Phone"), "email": L("Email"),
    "number": L("Number"), "id_number": L("ID card number"), "file": L("File"), "image": L("Image"),
    "agreement": L("Agreement (must be accepted)"),
}
CHOICE_KINDS = ("choice", "multiple")
UPLOAD_KINDS = ("file", "image")
_CORE_KIND = {"text": "text", "textarea": "textarea", "choice": "select", "multiple": "multiselect", "date": "date",
              "phone": "phone", "email": "email", "number": "int", "id_number": "text", "file": "file",
              "image": "file", "agreement": "checkbox"}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 60
MAX_OPTIONS = 50
TEXT_MAX = {"text": 200, "textarea": 2000, "id_number": 18}


@dataclass
class Question:
    id: int
    key: str
    label: str
    kind: str
    required: bool
    options: list[str]
    help: str
    show_if: dict | None
    sort: int

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    def condition_text(self, by_key: dict[str, Question]) -> str:
        if not self.show_if:
            return ""
        other = by_key.get(self.show_if.get("field", ""))
        label = other.label if other else self.show_if.get("field", "")
        return _("Only when “%(field)s” is %(values)s.", field=label,
                 values=" / ".join(self.show_if.get("values") or []))


@dataclass(frozen=True)
class Upload:
    """A posted file as plain values (routes turn the framework's upload objects into these)."""
    filename: str
    data: bytes


@dataclass
class Filled:
    """A checked submission: the answers to store, the form to re-render on errors."""
    form: Form
    answers: dict = field(default_factory=dict)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)  # (key, filename, data) still to store


def _question(row) -> Question:
    options = row["options"]
    show_if = row["show_if"]
    return Question(row["id"], row["key"], row["label"], row["kind"], row["required"],
                    json.loads(options) if isinstance(options, str) else list(options or []), row["help"],
                    json.loads(show_if) if isinstance(show_if, str) else show_if, row["sort"])


async def create_form(actor: Actor, title: str, purpose: str = "event") -> int:
    title = (title or "").strip()[:200] or _("Signup form")
    async with db.transaction():
        form_id = await db.fetchval("INSERT INTO ops_form (title, purpose, created_by, updated_by)"
                                    " VALUES ($1, $2, $3, $3) RETURNING id", title, purpose, actor.id)
        await audit.record(actor, "create", "ops_form", form_id, after={"title": title, "purpose": purpose},
                           summary=title)
    return form_id


async def questions(form_id: int | None) -> list[Question]:
    if not form_id:
        return []
    rows = await db.fetch("SELECT * FROM ops_form_field WHERE form = $1 ORDER BY sort, id", form_id)
    return [_question(r) for r in rows]


def _options(raw: str | list) -> list[str]:
    items = raw if isinstance(raw, list) else re.split(r"[\n\r]+", raw or "")
    seen: dict[str, None] = {}
    for item in items:
        item = str(item).strip()[:100]
        if item:
            seen.setdefault(item, None)
    return list(seen)


async def _check_question(form_id: int, values: dict, own_id: int | None = None) -> dict:
    key = (values.get("key") or "").strip().lower()
    label = (values.get("label") or "").strip()
    kind = values.get("kind") or "text"
    if not label:
        raise Invalid("label", _("This field is required."))
    if len(label) > 200:
        raise Invalid("label", _("At most %(n)s characters.", n=200))
    if kind not in KINDS:
        raise Invalid("kind", _("Choose from the list."))
    if not KEY_RE.match(key):
        raise Invalid("key", _("Use lower-case letters, digits and _ (starting with a letter)."))
    clash = await db.fetchval("SELECT id FROM ops_form_field WHERE form = $1 AND key = $2 AND id IS DISTINCT FROM $3",
                              form_id, key, own_id)
    if clash:
        raise Invalid("key", _("Another question already uses this key."))
    options = _options(values.get("options") or "")
    if kind in CHOICE_KINDS and len(options) < 2:
        raise Invalid("options", _("Give at least two options, one per line."))
    if len(options) > MAX_OPTIONS:
        raise Invalid("options", _("At most %(n)s options.", n=MAX_OPTIONS))
    show_if = None
    if_field = (values.get("show_if_field") or "").strip()
    if if_field:
        other = await db.fetchrow("SELECT id, kind, options, sort FROM ops_form_field WHERE form = $1 AND key = $2",
                                  form_id, if_field)
        if other is None or other["id"] == own_id or other["kind"] not in CHOICE_KINDS + ("agreement",):
            raise Invalid("show_if_field", _("Choose an earlier choice question."))
        wanted = _options(values.get("show_if_values") or "")
        allowed = _options(json.loads(other["options"]) if isinstance(other["options"], str) else other["options"])
        if other["kind"] == "agreement":
            allowed = ["yes"]
        if not wanted or any(v not in allowed for v in wanted):
            raise Invalid("show_if_values", _("Choose values that question offers: %(values)s.",
                                              values=" / ".join(allowed)))
        show_if = {"field": if_field, "values": wanted}
    return {"key": key, "label": label, "kind": kind, "required": bool(values.get("required")),
            "options": options if kind in CHOICE_KINDS else [], "help": (values.get("help") or "").strip()[:300],
            "show_if": show_if}


async def add_question(actor: Actor, form_id: int, values: dict) -> int:
    clean = await _check_question(form_id, values)
    async with db.transaction():
        count = await db.fetchval("SELECT count(*) FROM ops_form_field WHERE form = $1", form_id)
        if count >= MAX_FIELDS:
            raise Invalid("", _("A form holds at most %(n)s questions.", n=MAX_FIELDS))
        field_id = await db.fetchval(
            "INSERT INTO ops_form_field (form, key, label, kind, required, options, help, show_if, sort, created_by,"
            " updated_by) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9, $10, $10) RETURNING id",
            form_id, clean["key"], clean["label"], clean["kind"], clean["required"], json.dumps(clean["options"]),
            clean["help"], json.dumps(clean["show_if"]) if clean["show_if"] else None, count + 1, actor.id)
        await audit.record(actor, "create", "ops_form_field", field_id, after=clean, summary=clean["label"])
    return field_id


async def update_question(actor: Actor, form_id: int, field_id: int, values: dict) -> None:
    before = await db.fetchrow("SELECT * FROM ops_form_field WHERE id = $1 AND form = $2", field_id, form_id)
    if before is None:
        raise Invalid("", _("That question does not exist."))
    clean = await _check_question(form_id, values, field_id)
    async with db.transaction():
        await db.execute(
            "UPDATE ops_form_field SET key = $2, label = $3, kind = $4, required = $5, options = $6::jsonb, help = $7,"
            " show_if = $8::jsonb, updated_at = now(), updated_by = $9 WHERE id = $1", field_id, clean["key"],
            clean["label"], clean["kind"], clean["required"], json.dumps(clean["options"]), clean["help"],
            json.dumps(clean["show_if"]) if clean["show_if"] else None, actor.id)
        await audit.record(actor, "update", "ops_form_field", field_id, before=_question(before).__dict__,
                           after=clean, summary=clean["label"])


async def remove_question(actor: Actor, form_id: int, field_id: int) -> None:
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM ops_form_field WHERE id = $1 AND form = $2 RETURNING key, label",
                                field_id, form_id)
        if row is not None:
            await audit.record(actor, "delete", "ops_form_field", field_id, before=dict(row), summary=row["label"])


async def move_question(actor: Actor, form_id: int, field_id: int, step: int) -> None:
    """Up (-1) or down (+1) one place."""
    items = await questions(form_id)
    ids = [q.id for q in items]
    if field_id not in ids:
        return
    i = ids.index(field_id)
    j = max(0, min(len(ids) - 1, i + step))
    ids[i], ids[j] = ids[j], ids[i]
    async with db.transaction():
        for sort, qid in enumerate(ids, 1):
            await db.execute("UPDATE ops_form_field SET sort = $2 WHERE id = $1", qid, sort)
        await audit.record(actor, "reorder", "ops_form", form_id, after={"order": ids})


def core_fields(items: list[Question]) -> list[Field]:
    """The questions as core form fields (for rendering with components/fields.html)."""
    by_key = {q.key: q for q in items}
    out = []
    for q in items:
        help_text = " ".join(t for t in (q.help, q.condition_text(by_key)) if t)
        choices = [(o, o) for o in q.options] if q.kind in CHOICE_KINDS else None
        out.append(Field(f"q_{q.key}", q.label, _CORE_KIND[q.kind], required=q.required and not q.show_if,
                         max_length=TEXT_MAX.get(q.kind), choices=choices, help=help_text))
    return out


def _shown(q: Question, answers: dict) -> bool:
    if not q.show_if:
        return True
    given = answers.get(q.show_if.get("field"))
    values = given if isinstance(given, list) else [given]
    values = ["yes" if v is True else v for v in values]
    return any(v in (q.show_if.get("values") or []) for v in values)


async def check(items: list[Question], data: dict) -> Filled:
    """The posted answers (`q_<key>` fields) checked question by question; errors are on `filled.form`."""
    form = Form(core_fields(items), data=data)
    form.validate()
    answers: dict = {}
    filled = Filled(form)
    for q, f in zip(items, form.fields, strict=True):
        name = f.name
        if not _shown(q, answers):
            form.errors.pop(name, None)
            continue
        value = form.cleaned.get(name)
        empty = value in (None, "", [], False) or (q.kind in UPLOAD_KINDS and not getattr(value, "filename", None))
        if q.required and empty and name not in form.errors:
            form.errors[name] = (_("Please accept this to continue.") if q.kind == "agreement"
                                 else _("Choose a file.") if q.kind in UPLOAD_KINDS else _("This field is required."))
            continue
        if name in form.errors or empty:
            answers[q.key] = None if q.kind != "agreement" else False
            continue
        if q.kind == "id_number":
            problem = id_numbers.problem(value)
            if problem:
                form.errors[name] = problem
                continue
            value = id_numbers.normalise(value)
        if q.kind in UPLOAD_KINDS:
            filename, body = value.filename, value.data
            try:
                if q.kind == "image":
                    content.check_image(filename, body, field=name)
                else:
                    await uploads.check(filename, body, field=name)
            except Invalid as exc:
                form.errors[name] = exc.message
                continue
            filled.uploads.append((q.key, filename, body))
            continue
        answers[q.key] = value.isoformat() if hasattr(value, "isoformat") else value
    filled.answers = answers
    return filled


async def store(form_id: int, user_id: int | None, filled: Filled) -> int:
    """Save a checked submission (uploads into storage first); returns the response id. Call inside the caller's
    transaction so a refused signup leaves no response behind."""
    answers = dict(filled.answers)
    for key, filename, body in filled.uploads:
        saved = await uploads.save(filename, body, field=f"q_{key}")
        answers[key] = {"file": saved.key, "name": saved.name, "size": saved.size}
    return await db.fetchval("INSERT INTO ops_form_response (form, \"user\", answers, created_by, updated_by)"
                             " VALUES ($1, $2::int, $3::jsonb, $2::bigint, $2::bigint) RETURNING id", form_id, user_id,
                             json.dumps(answers, ensure_ascii=False, default=str))


async def response(response_id: int | None) -> dict:
    if not response_id:
        return {}
    raw = await db.fetchval("SELECT answers FROM ops_form_response WHERE id = $1", response_id)
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def display(items: list[Question], answers: dict) -> list[tuple[str, str]]:
    """(question, answer as text) for an admin's view, an export or a PDF."""
    out = []
    for q in items:
        value = answers.get(q.key)
        if isinstance(value, dict):
            value = value.get("name", "")
        elif isinstance(value, list):
            value = "、".join(value)
        elif value is True:
            value = _("Yes")
        elif value is False or value is None:
            value = "" if q.kind != "agreement" else _("No")
        out.append((q.label, str(value)))
    return out

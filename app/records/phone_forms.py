"""Edit forms of the phone pages (REC-18), built from the field catalogue so custom fields (REC-02) appear
without code changes. Values the viewer may only see masked are shown read-only and never written."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.core import db, dictionary
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.masking import shown
from app.records import api, fields, labels

# Which catalogue sections each phone edit page covers; person-level fields only.
PAGES = {"basic": ("basic", "contact"), "work": ("work",)}
SKIP = {"kind", "secrecy", "created_at", "is_key", "key_category"}  # set on the admin pages only
KIND_MAP = {"text": "text", "date": "date", "select": "select", "multiselect": "multiselect", "bool": "checkbox",
            "year": "int", "number": "text"}
EDUCATION = ("degree", "college", "major", "class_name", "entry_year", "grad_year", "student_no")


def form_name(spec: fields.FieldSpec) -> str:
    return f"custom.{spec.code}" if spec.custom else spec.code


def _field(spec: fields.FieldSpec) -> Field:
    kind = {"phone": "phone", "email": "email"}.get(spec.code, KIND_MAP.get(spec.kind, "text"))
    return Field(form_name(spec), spec.label, kind, required=spec.required, dict_type=spec.dict_type or None,
                 choices=list(spec.choices) if spec.choices else None,
                 max_length=200 if kind == "text" else None,
                 min_value=1900 if kind == "int" else None, max_value=2100 if kind == "int" else None)


async def page_specs(page: str) -> list[fields.FieldSpec]:
    sections = PAGES[page]
    return [s for s in await fields.catalogue() if s.section in sections and not s.per_education
            and s.code not in SKIP and s.kind != "file"]


def masked_fields(actor: Actor, person: dict, specs) -> set[str]:
    """Fields whose clear value this viewer may not see: read-only on the form."""
    return {s.code for s in specs if s.mask and person.get(s.code) is not None
            and shown(actor, s.mask, person[s.code]) != person[s.code]}


def _initial(person: dict, specs) -> dict:
    data: dict[str, Any] = {}
    for s in specs:
        value = (person.get("custom") or {}).get(s.code) if s.custom else person.get(s.code)
        data[form_name(s)] = "on" if value is True else ("" if value is None or value is False else value)
    return data


async def person_form(actor: Actor, page: str, person: dict, data: dict | None = None) -> tuple[Form, set[str]]:
    specs = await page_specs(page)
    locked = masked_fields(actor, person, specs)
    # a locked field is plain text (its masked value is shown, never validated nor saved)
    form = Form([Field(form_name(s), s.label) if s.code in locked else _field(s) for s in specs],
                dict(data) if data is not None else _initial(person, specs))
    for name in locked:  # shown masked, not editable
        form.data[name] = shown(actor, (await fields.by_code())[name].mask, person[name])
    await dictionary.resolve_choices(form)
    return form, locked


def parse_number(name: str, value: Any) -> Any:
    """A number field's input as int or float (None when empty); Invalid on the field `name` otherwise."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(name, _("Enter a number.")) from None
    return int(number) if number == number.to_integral_value() else float(number)


async def changes_from(page: str, form: Form, locked: set[str]) -> dict:
    """The cleaned form as update_person() input: built-in columns plus a `custom` dict."""
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for s in await page_specs(page):
        if s.code in locked:
            continue
        value = form.cleaned.get(form_name(s))
        if s.kind == "number":
            value = parse_number(form_name(s), value)
        if s.custom:
            custom[s.code] = value.isoformat() if isinstance(value, date) else value
        elif s.kind == "bool":
            values[s.code] = bool(value)
        else:
            values[s.code] = "" if value is None and s.code not in ("birthday", "phone", "email", "id_number") \
                else value
    if custom:
        values["custom"] = custom
    return values


async def college_choices() -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT id, name FROM org_node WHERE kind = 'college' ORDER BY sort, id")
    return [(str(r["id"]), r["name"]) for r in rows]


async def education_form(data: dict) -> Form:
    colleges = await college_choices()
    form = Form([
        Field("degree", _("Degree level"), "select", dict_type="degree_level"),
        Field("college", _("College"), "select", choices=colleges),
        Field("major", _("Major"), max_length=100),
        Field("class_name", _("Class"), max_length=100),
        Field("entry_year", _("Entry year"), "int", min_value=1900, max_value=2100),
        Field("grad_year", _("Graduation year"), "int", min_value=1900, max_value=2100),
        Field("student_no", _("Student number"), max_length=32),
    ], {k: ("" if data.get(k) is None else data.get(k)) for k in EDUCATION})
    await dictionary.resolve_choices(form)
    return form


def education_values(form: Form) -> dict:
    c = form.cleaned
    return {"degree": c["degree"] or "", "college": int(c["college"]) if c["college"] else None,
            "major": c["major"] or "", "class_name": c["class_name"] or "", "entry_year": c["entry_year"],
            "grad_year": c["grad_year"], "student_no": c["student_no"] or ""}


async def get_education(actor: Actor, person_id: int, education_id: int) -> dict:
    await api.get_raw(actor, person_id)  # scope and clearance first
    row = await db.fetchrow("SELECT * FROM rec_education WHERE id = $1 AND person = $2", education_id, person_id)
    if row is None:
        raise api.NotFound(education_id)
    return row


async def _labels(dict_type: str) -> dict[str, str]:
    return await dictionary.label_map(dict_type)


async def display(person: dict, specs) -> dict[str, list[tuple[str, str]]]:
    """Section → [(label, shown text)] of the person's filled fields, dictionary codes as names.
    `person` is already masked for the viewer (api.get_person)."""
    out: dict[str, list[tuple[str, str]]] = {}
    cache: dict[str, dict[str, str]] = {}
    for s in specs:
        value = (person.get("custom") or {}).get(s.code) if s.custom else person.get(s.code)
        if value in (None, "", [], False) or s.code in ("created_at",) or s.kind == "org":
            continue
        if s.dict_type:
            names = cache.get(s.dict_type) or cache.setdefault(s.dict_type, await _labels(s.dict_type))
            text = labels.codes_text(names, value, s.dict_type)
        elif s.choices:
            text = dict(s.choices).get(str(value), str(value))
        elif value is True:
            text = _("Yes")
        elif isinstance(value, date):
            text = value.isoformat()
        else:
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        out.setdefault(s.section, []).append((s.title, text))
    return out


async def degree_names() -> dict[str, str]:
    return await _labels("degree_level")

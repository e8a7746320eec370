"""Admin forms of a person record (REC-01, REC-02, REC-03), built from the field catalogue so custom fields
appear without code changes. The org select offers only the actor's scope, the secrecy select only levels
up to the actor's clearance; key alumni details only with rec.key.view. Values the viewer may see only
masked are shown disabled and never written."""
from __future__ import annotations

from datetime import date
from typing import Any

from app.core import dictionary
from app.core.audit import Actor
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.records import fields, people, phone_forms, visibility
from app.support import org_tree

SECTION_ORDER = ("basic", "contact", "education", "work", "key")
SKIP = {"created_at"}
KEY_ONLY = {"is_key", "key_category", "key_note"}  # need rec.key.view
NULLABLE = {"birthday", "phone", "email", "id_number"}
KIND_MAP = {"text": "text", "date": "date", "select": "select", "multiselect": "multiselect", "bool": "checkbox",
            "year": "int", "number": "text", "file": "file"}
EDU_PREFIX = "edu."
CONTACT_METHODS = ("phone", "visit", "wechat", "email", "meeting", "other")


def contact_methods() -> list[tuple[str, str]]:
    labels = {"phone": _("Phone call"), "visit": _("Visit"), "wechat": _("WeChat"), "email": _("Email"),
              "meeting": _("Meeting"), "other": _("Other")}
    return [(k, labels[k]) for k in CONTACT_METHODS]


def name_of(spec: fields.FieldSpec) -> str:
    return phone_forms.form_name(spec)


def person_specs(actor: Actor, specs: list[fields.FieldSpec]) -> list[fields.FieldSpec]:
    """Person-level fields of the form (education records have their own form)."""
    return [s for s in specs if not s.per_education and s.code not in SKIP and people.can_see(actor, s)]


def _field(actor: Actor, spec: fields.FieldSpec, existing: Any = None) -> Field:
    kind = {"phone": "phone", "email": "email"}.get(spec.code, KIND_MAP.get(spec.kind, "text"))
    choices = list(spec.choices) if spec.choices else None
    if spec.code == "secrecy":
        choices = [(k, v) for k, v in spec.choices if int(k) <= visibility.clearance(actor)]
    required = spec.required and not (kind == "file" and existing)  # a stored file need not be sent again
    return Field(name_of(spec), spec.label, kind, required=required, dict_type=spec.dict_type or None,
                 choices=choices, max_length=200 if kind == "text" else None,
                 min_value=1900 if kind == "int" else None, max_value=2100 if kind == "int" else None)


def _education_fields() -> list[Field]:
    return [Field(EDU_PREFIX + f.name, f.label, f.kind, choices=f.choices, dict_type=f.dict_type,
                  max_length=f.max_length, min_value=f.min_value, max_value=f.max_value)
            for f in _education_template()]


def _education_template() -> list[Field]:
    """Built per call: the labels follow the request language."""
    return [
        Field("degree", _("Degree level"), "select", dict_type="degree_level"),
        Field("college", _("College"), "select"),
        Field("major", _("Major"), max_length=100),
        Field("class_name", _("Class"), max_length=100),
        Field("entry_year", _("Entry year"), "int", min_value=1900, max_value=2100),
        Field("grad_year", _("Graduation year"), "int", min_value=1900, max_value=2100),
        Field("student_no", _("Student number"), max_length=32),
    ]


async def _org_choices(actor: Actor) -> list[tuple[str, str]]:
    return [(str(o["id"]), "\u3000" * o["level"] + o["name"]) for o in await org_tree.flat(actor.scope)]


async def _college_choices() -> list[tuple[str, str]]:
    return await phone_forms.college_choices()


def initial(person: dict, specs: list[fields.FieldSpec]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for s in specs:
        value = (person.get("custom") or {}).get(s.code) if s.custom else person.get(s.code)
        if s.kind == "file":
            continue
        data[name_of(s)] = "on" if value is True else ("" if value is None or value is False else value)
    data["org"] = person.get("org") or ""
    data["key_note"] = person.get("key_note") or ""
    data["secrecy"] = str(person.get("secrecy") or 0)
    return data


async def person_form(actor: Actor, data: dict | None = None, person: dict | None = None,
                      creating: bool = False) -> tuple[Form, list[tuple[str, list[str]]], set[str]]:
    """The form, its field names grouped by section [(section label, names)], and the locked (masked) names."""
    specs = person_specs(actor, await fields.catalogue())
    locked = phone_forms.masked_fields(actor, person, specs) if person else set()
    custom = (person or {}).get("custom") or {}
    form_fields: list[Field] = []
    groups: dict[str, list[str]] = {}
    for s in specs:
        # a locked field is plain text: its masked value is shown, never validated nor saved
        form_fields.append(Field(name_of(s), s.label) if s.code in locked
                           else _field(actor, s, custom.get(s.code) if s.custom else None))
        groups.setdefault(s.section, []).append(name_of(s))
        if s.code == "kind":
            form_fields.append(Field("org", _("Owning org"), "select", required=not actor.scope.all,
                                     choices=await _org_choices(actor),
                                     help=_("Decides which admins see this record (data scope).")))
            groups["basic"].append("org")
    if actor.can("rec.key.view"):
        form_fields.append(Field("key_note", _("Key alumni notes"), "textarea", max_length=2000))
        groups.setdefault("key", []).append("key_note")
    if creating:
        form_fields.extend(_education_fields())
    values = dict(data) if data is not None else (initial(person, specs) if person else {"kind": "alumni",
                                                                                          "secrecy": "0"})
    form = Form(form_fields, values)
    for name in locked:
        form.data[name] = visibility.mask_row(actor, {name: person[name]})[name]
    await dictionary.resolve_choices(form)
    if creating:
        form[EDU_PREFIX + "college"].choices = await _college_choices()
    ordered = [(str(fields.SECTIONS[k]), groups[k]) for k in SECTION_ORDER if groups.get(k)]
    return form, ordered, locked


async def values_from(actor: Actor, form: Form, locked: set[str]) -> dict[str, Any]:
    """The cleaned form as create_person()/update_person() input (raises Invalid for custom numbers/files)."""
    specs = person_specs(actor, await fields.catalogue())
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for s in specs:
        name = name_of(s)
        if s.code in locked or name in locked:
            continue
        value = form.cleaned.get(name)
        if s.kind == "file":
            stored = await people.save_custom_file(s.code, value)
            if stored:
                custom[s.code] = stored
            continue
        if s.kind == "number":
            value = phone_forms.parse_number(name, value)
        if s.custom:
            custom[s.code] = value.isoformat() if isinstance(value, date) else value
        elif s.kind == "bool":
            values[s.code] = bool(value)
        elif s.code == "secrecy":
            values["secrecy"] = int(value or 0)
        else:
            values[s.code] = value if value is not None or s.code in NULLABLE else ""
    values["org"] = int(form.cleaned["org"]) if form.cleaned.get("org") else None
    if "key_note" in form.cleaned:
        values["key_note"] = form.cleaned["key_note"] or ""
    if custom:
        values["custom"] = custom
    return values


def education_from(form: Form) -> list[dict]:
    """The optional first education record of the new-person form."""
    c = {f.name[len(EDU_PREFIX):]: form.cleaned.get(f.name) for f in form.fields if f.name.startswith(EDU_PREFIX)}
    if not any(v not in (None, "") for v in c.values()):
        return []
    if c["entry_year"] and c["grad_year"] and c["grad_year"] < c["entry_year"]:
        raise Invalid(EDU_PREFIX + "grad_year", _("The graduation year cannot be before the entry year."))
    return [{"degree": c["degree"] or "", "college": int(c["college"]) if c["college"] else None,
             "major": c["major"] or "", "class_name": c["class_name"] or "", "entry_year": c["entry_year"],
             "grad_year": c["grad_year"], "student_no": c["student_no"] or ""}]


def field_of(exc: Invalid, form: Form) -> str:
    """A api message about an education value belongs next to the first-education field."""
    names = {f.name for f in form.fields}
    if exc.field not in names and EDU_PREFIX + exc.field in names:
        return EDU_PREFIX + exc.field
    return exc.field


def contact_form(data: dict | None = None) -> Form:
    return Form([
        Field("method", _("Contact method"), "select", required=True, choices=contact_methods()),
        Field("contacted_on", _("Date"), "date"),
        Field("summary", _("Summary"), "textarea", required=True, max_length=2000),
    ], dict(data) if data is not None else {"method": "phone"})


def file_form(data: dict | None = None) -> Form:
    return Form([
        Field("kind", _("Kind"), "select", required=True, choices=[("photo", _("Archive photo")),
                                                                    ("file", _("Archive file"))]),
        Field("title", _("Title"), max_length=200),
        Field("file", _("File"), "file", required=True),
    ], dict(data) if data is not None else {"kind": "file"})

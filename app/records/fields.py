"""The field catalogue of a person record: built-in fields plus the custom fields admins define
(REC-02). Forms, detail, list columns, the query builder, import and export all read this one list,
so a new custom field shows up everywhere without code changes."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.core import cache, db
from app.core.i18n import current_locale
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

SECTIONS = {"basic": L("Basic"), "contact": L("Contact"), "education": L("Education"), "work": L("Work"),
            "key": L("Key alumni")}
KINDS = {"text": L("Text"), "number": L("Number"), "date": L("Date"), "select": L("Select from dictionary"),
         "multiselect": L("Multiple choice from dictionary"), "file": L("File")}
PERSON_KINDS = {"alumni": L("Alumni"), "student": L("Student"), "staff": L("Staff")}
SECRECY = {0: L("Public"), 1: L("Internal"), 2: L("Confidential"), 3: L("Secret")}
ID_TYPES = {"resident": L("Resident ID card"), "passport": L("Passport"), "hk_macao": L("Hong Kong/Macao permit"),
            "taiwan": L("Taiwan permit"), "other": L("Other ID")}


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str
    section: str = "basic"
    kind: str = "text"  # text / number / date / select / multiselect / file / bool / year / org
    dict_type: str = ""
    sql: str = ""  # expression over alias p (person) for filters/sort; education fields use e
    mask: str = ""  # masking kind (SUP-16) for personal data
    required: bool = False
    custom: bool = False
    sortable: bool = False
    list_default: bool = False  # among the default list columns
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # fixed choices (not dictionary)

    @property
    def per_education(self) -> bool:
        return self.section == "education" and not self.custom

    @property
    def title(self) -> str:
        return str(self.label)


def builtin_fields() -> list[FieldSpec]:
    """The built-in part of the catalogue, labels in the current language."""
    kinds = tuple((k, str(v)) for k, v in PERSON_KINDS.items())
    secrecy = tuple((str(k), str(v)) for k, v in SECRECY.items())
    id_types = tuple((k, str(v)) for k, v in ID_TYPES.items())
    return [
        FieldSpec("name", _("Name"), sql="p.name", mask="name", required=True, sortable=True, list_default=True),
        FieldSpec("kind", _("Type"), kind="select", sql="p.kind", choices=kinds, list_default=True),
        FieldSpec("gender", _("Gender"), kind="select", dict_type="gender", sql="p.gender", list_default=True),
        FieldSpec("birthday", _("Birthday"), kind="date", sql="p.birthday", sortable=True),
        FieldSpec("id_type", _("ID type"), kind="select", sql="p.id_type", choices=id_types),
        FieldSpec("id_number", _("ID number"), sql="p.id_number", mask="id_number"),
        FieldSpec("ethnicity", _("Ethnicity"), kind="select", dict_type="ethnicity", sql="p.ethnicity"),
        FieldSpec("political_status", _("Political status"), kind="select", dict_type="political_status",
                  sql="p.political_status"),
        FieldSpec("native_region", _("Native place"), kind="select", dict_type="region", sql="p.native_region"),
        FieldSpec("phone", _("Mobile phone"), "contact", sql="p.phone", mask="phone", list_default=True),
        FieldSpec("email", _("Email"), "contact", sql="p.email", mask="email"),
        FieldSpec("wechat", _("WeChat ID"), "contact", sql="p.wechat"),
        FieldSpec("region", _("Current region"), "contact", kind="select", dict_type="region", sql="p.region",
                  list_default=True),
        FieldSpec("address", _("Address"), "contact", sql="p.address"),
        FieldSpec("employer", _("Employer"), "work", sql="p.employer", sortable=True, list_default=True),
        FieldSpec("industry", _("Industry"), "work", kind="select", dict_type="industry", sql="p.industry"),
        FieldSpec("job_title", _("Job title"), "work", sql="p.job_title"),
        FieldSpec("degree", _("Degree level"), "education", kind="select", dict_type="degree_level", sql="e.degree"),
        FieldSpec("college", _("College"), "education", kind="org", sql="e.college", list_default=True),
        FieldSpec("major", _("Major"), "education", sql="e.major", list_default=True),
        FieldSpec("class_name", _("Class"), "education", sql="e.class_name"),
        FieldSpec("entry_year", _("Entry year"), "education", kind="year", sql="e.entry_year", list_default=True),
        FieldSpec("grad_year", _("Graduation year"), "education", kind="year", sql="e.grad_year"),
        FieldSpec("student_no", _("Student number"), "education", sql="e.student_no"),
        FieldSpec("is_key", _("Key alumni"), "key", kind="bool", sql="p.is_key"),
        FieldSpec("key_category", _("Key alumni category"), "key", sql="p.key_category"),
        FieldSpec("secrecy", _("Secrecy level"), "key", kind="select", sql="p.secrecy::text", choices=secrecy),
        FieldSpec("created_at", _("Created"), kind="date", sql="p.created_at::date", sortable=True),
    ]


def _custom_sql(code: str, kind: str) -> str:
    # Codes are validated identifiers ([a-z][a-z0-9_]*), so they may appear in SQL text.
    if kind == "number":
        return f"(p.custom->>'{code}')::numeric"
    if kind == "date":
        return f"(p.custom->>'{code}')::date"
    if kind == "multiselect":
        return f"(p.custom->'{code}')"
    return f"(p.custom->>'{code}')"


async def custom_fields(include_disabled: bool = False) -> list[dict]:
    sql = "SELECT * FROM rec_field" + ("" if include_disabled else " WHERE enabled") + " ORDER BY section, sort, id"
    return await db.fetch(sql)


CATALOGUE_TTL = 30  # seconds; every records page reads the catalogue, custom fields change rarely


async def catalogue() -> list[FieldSpec]:
    """Built-in fields, then enabled custom fields, labels in the current language. Shared for
    CATALOGUE_TTL (dropped at once in this process when an admin changes a field)."""
    locale = current_locale.get()
    return await cache.cached(("rec.catalogue", locale), CATALOGUE_TTL, lambda: _build_catalogue(locale == "en"))


def forget_catalogue() -> None:
    cache.forget_prefix("rec.catalogue")


async def _build_catalogue(english: bool) -> list[FieldSpec]:
    specs = builtin_fields()
    for row in await custom_fields():
        specs.append(FieldSpec(
            row["code"], (row["label_en"] if english and row["label_en"] else row["label"]), row["section"],
            row["kind"], row["dict_type"], _custom_sql(row["code"], row["kind"]), required=row["required"],
            custom=True, sortable=row["kind"] in ("text", "number", "date")))
    return specs


async def by_code() -> dict[str, FieldSpec]:
    return {f.code: f for f in await catalogue()}

"""How the audit log (SUP-14) shows entries about alumni records: personal values masked as on the
record's own pages (visibility.mask_row, SUP-16) and only entries about persons the viewer may see (data
scope and secrecy, as in the change log: merged records' history stays readable)."""
from __future__ import annotations

import re

from app.core import audit
from app.core.audit import ENTITY_ID, Actor
from app.core.masking import MASKABLE, shown
from app.records import change_log, visibility

# Entries whose summary is the person's name when they are about one record (entity_id a single id).
NAMED = ("rec_person", "rec_work", "rec_file", "rec_contact_log")
MERGE_SUMMARY = re.compile(r"^(.*) #(\d+) → (.*) #(\d+)$")  # merge.py: "<other> #id → <survivor> #id"


def _mask_person(viewer: Actor, data: dict | None) -> None:
    if not data:
        return
    visibility.mask_row(viewer, data)
    if "key_note" in data and not viewer.can("rec.key.view"):  # as get_person: key alumni details
        data["key_note"] = ""


def mask_entry(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        _mask_person(viewer, data)
        # rec_change rollback: {"field": code, "value": the field's value, or the whole created/deleted row}
        if data and entry["entity"] == "rec_change":
            value = data.get("value")
            if isinstance(value, dict):
                _mask_person(viewer, value)
            elif data.get("field") in MASKABLE and value not in (None, ""):
                data["value"] = shown(viewer, data["field"], str(value))
    summary = entry.get("summary") or ""
    if entry["entity"] in NAMED and summary and str(entry["entity_id"]).isdigit():
        merged = MERGE_SUMMARY.match(summary) if entry["action"] == "merge" else None
        entry["summary"] = (f"{shown(viewer, 'name', merged[1])} #{merged[2]} → {shown(viewer, 'name', merged[3])}"
                            f" #{merged[4]}" if merged else shown(viewer, "name", summary))


def _person_sql(viewer: Actor, args: list, person_id_sql: str) -> str:
    return (f"EXISTS (SELECT 1 FROM rec_person p WHERE p.id = {person_id_sql}"
            f" AND {change_log.scope_sql(viewer, args)})")


def _section_person(table: str, section: str) -> str:
    """The person of a section row; a deleted row is found through its rec_change row, written in the same
    transaction as the audit entry (same now(), so the rec_change_at index finds it)."""
    return (f"COALESCE((SELECT t.person FROM {table} t WHERE t.id = {ENTITY_ID}), (SELECT c.person FROM rec_change c"
            f" WHERE c.at = a.at AND c.section = '{section}' AND c.row_id = {ENTITY_ID} LIMIT 1))")


def _visible(person_id_sql: str, *, single_only: bool = False):
    def visible(viewer: Actor, args: list) -> str:
        if change_log.scope_sql(viewer, []) == "TRUE":  # sees every record: skip the lookups
            return "TRUE"
        sql = _person_sql(viewer, args, person_id_sql)
        # rec_person entries about no single record (export, import ranges) are left to the entry's org scope.
        return f"({ENTITY_ID} IS NULL OR {sql})" if single_only else sql
    return visible


audit.register_view("rec_person", mask=mask_entry, visible=_visible(ENTITY_ID, single_only=True),
                    personal_summary=True)
audit.register_view("rec_work", mask=mask_entry, visible=_visible(_section_person("rec_work", "work")),
                    personal_summary=True)
audit.register_view("rec_file", mask=mask_entry, visible=_visible(_section_person("rec_file", "file")),
                    personal_summary=True)
audit.register_view("rec_contact_log", mask=mask_entry,
                    visible=_visible(_section_person("rec_contact_log", "contact")), personal_summary=True)
audit.register_view("rec_proposal", mask=mask_entry,
                    visible=_visible(f"(SELECT r.person FROM rec_proposal r WHERE r.id = {ENTITY_ID})"))
audit.register_view("rec_change", mask=mask_entry,
                    visible=_visible(f"(SELECT c.person FROM rec_change c WHERE c.id = {ENTITY_ID})"))
# Batch updates touch many persons and log only the values set: masked, scoped by the entry itself.
audit.register_view("rec_batch", mask=mask_entry)

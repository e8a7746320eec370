"""How the audit log (SUP-14) shows identity entries: ID numbers, names and phones masked like everywhere else
(SUP-16). Claim entries carry the claimed college as their org, so the log's own data scope shows them to
that college's admins; their summary (the claimed name) is masked and not searchable without the clear view."""
from __future__ import annotations

from app.core import audit
from app.core.audit import Actor
from app.core.masking import shown, shown_fields

PERSONAL = {"name": "name", "id_number": "id_number", "phone": "phone", "email": "email"}


def mask_values(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        shown_fields(viewer, data, PERSONAL)


def mask_claim(viewer: Actor, entry: dict) -> None:
    mask_values(viewer, entry)
    if entry.get("summary"):
        entry["summary"] = shown(viewer, "name", entry["summary"])


audit.register_view("idn_claim", mask=mask_claim, personal_summary=True)
# The other identity entries (real-name checks, bindings, SMS codes): their personal values only.
audit.register_view("idn_realname", "idn_binding", "idn_sms_code", mask=mask_values)

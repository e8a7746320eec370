"""How the audit log (SUP-14) shows expert-pool entries: names, phones and emails masked like on the pool's
own pages (EXP-17); application summaries (a phone or a name) are masked and not searchable without the clear
view."""
from __future__ import annotations

from app.core import audit
from app.core.audit import Actor
from app.core.masking import mask, shown_fields

PERSONAL = {"name": "name", "phone": "phone", "email": "email", "holder": "name", "signed_name": "name"}


def mask_values(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        shown_fields(viewer, data, PERSONAL)


def mask_application(viewer: Actor, entry: dict) -> None:
    mask_values(viewer, entry)
    if entry.get("summary") and not viewer.can("sup.field.clear.phone"):
        entry["summary"] = mask("name", entry["summary"])


audit.register_view("exp_expert", "exp_invitation", "exp_fee", mask=mask_values)
audit.register_view("exp_application", mask=mask_application, personal_summary=True)

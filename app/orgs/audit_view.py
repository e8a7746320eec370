"""How the audit log (SUP-14) shows orgs entries: the phones, emails and names in address-book and seat entries
masked like everywhere else (SUP-16). Every entry carries the org's node as its org, so the log's own data scope
shows an org's entries to that org's admins (and HQ); refusals ("refused") are kept the same way."""
from __future__ import annotations

from app.core import audit
from app.core.audit import Actor
from app.core.masking import shown_fields

PERSONAL = {"phone": "phone", "email": "email", "name": "name"}


def mask_values(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        shown_fields(viewer, data, PERSONAL)


audit.register_view("orgs_member", "orgs_seat", mask=mask_values)

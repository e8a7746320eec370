"""How the audit log (SUP-14) shows entries about buyers' addresses: recipient, number and street masked
(SUP-16). Address entries are written by their owner without an org, so the log's own scope (all-scope
viewers and the owner) already matches who may see them; order entries carry the buyer's org and no
personal values."""
from __future__ import annotations

from app.core import audit
from app.core.audit import Actor
from app.core.masking import shown_fields

# "address" has no clear-view permission: only superusers see the street in full.
ADDRESS_MASK = {"name": "name", "phone": "phone", "detail": "address"}


def mask_address(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        shown_fields(viewer, data, ADDRESS_MASK)


audit.register_view("mall_address", mask=mask_address)

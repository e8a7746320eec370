"""How the audit log (SUP-14) shows the classes module's entries. Class, liaison, request and application
entries carry the class's org node (class node, else college) as their org, so the log's own data scope shows
them to that college's admins. Their values are account ids, usernames, class names and the notes and reasons
people typed — no contacts: the profile a member completes is logged by the support and records modules under
their own masking rules. A liaison entry's account is shown as a username (masked like a name for viewers
without the clear view of names, SUP-16)."""
from __future__ import annotations

from app.core import audit
from app.core.audit import Actor
from app.core.masking import shown


def mask_liaison(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        if data and data.get("username"):
            data["username"] = shown(viewer, "name", str(data["username"]))


audit.register_view("classes_liaison", mask=mask_liaison)

"""How the audit log (SUP-14) shows points ledger entries: only those of members inside the viewer's data
scope, as on the ledger pages (the member's org, or the viewer's own account)."""
from __future__ import annotations

from app.core import audit
from app.core.audit import Actor

MEMBER = "CASE WHEN a.after->>'user_id' ~ '^[0-9]{1,18}$' THEN (a.after->>'user_id')::bigint END"


def ledger_visible(viewer: Actor, args: list) -> str:
    scope = viewer.scope.sql("u.org", "u.id", args)
    if scope == "TRUE":
        return scope
    return f"EXISTS (SELECT 1 FROM app_user u WHERE u.id = {MEMBER} AND {scope})"


audit.register_view("pts_ledger", visible=ledger_visible)

"""Who may see which person record, and how much of it (REC-03, SUP-16): the data scope and the secrecy
clearance as one SQL fragment (`visible`) that every read path uses — list, search, query, detail, export,
print, statistics, tags and H5 — and the masking of personal values for the viewer. Rules only: no I/O."""
from __future__ import annotations

from app.core.audit import Actor
from app.core.masking import shown
from app.core.permissions import PermissionDenied

MAX_SECRECY = 3


def clearance(actor: Actor) -> int:
    """The highest secrecy level (密级) this actor may see: permissions rec.secrecy.1 … 3."""
    if actor.is_superuser:
        return MAX_SECRECY
    return max((n for n in range(1, MAX_SECRECY + 1) if actor.can(f"rec.secrecy.{n}")), default=0)


def visible(actor: Actor, args: list, alias: str = "p") -> str:
    """WHERE fragment: active persons in the actor's data scope and within their clearance."""
    return (f"{alias}.status = 'active' AND {actor.scope.sql(f'{alias}.org', None, args)}"
            f" AND {alias}.secrecy <= {clearance(actor)}")


def mask_row(actor: Actor, row: dict) -> dict:
    """Personal values as this viewer may see them (SUP-16); key alumni details need rec.key.view."""
    for key in ("name", "phone", "email", "id_number"):
        if key in row and row[key] is not None:
            row[key] = shown(actor, key, row[key])
    if "key_category" in row and not actor.can("rec.key.view"):
        row["key_category"] = ""
    return row


def require_key_view(actor: Actor) -> None:
    if not actor.can("rec.key.view"):
        raise PermissionDenied("rec.key.view")

"""Field masking (SUP-16): personal data is masked unless the viewer's roles grant the clear view;
revealing one value is a separate permission and is audited (see support.user_routes unmask)."""
from __future__ import annotations

from collections.abc import Mapping

MASKABLE = ("name", "phone", "email", "id_number")


def mask(kind: str, value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if kind == "phone":
        return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"
    if kind == "email":
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    if kind == "id_number":
        return value[:4] + "*" * max(0, len(value) - 8) + value[-4:] if len(value) > 8 else "****"
    if kind == "name":
        return value[0] + "*" * (len(value) - 1) if len(value) <= 2 else value[0] + "*" * (len(value) - 2) + value[-1]
    return "****"  # other kinds (e.g. "address") have no clear-view permission: only superusers see them


def sees_clear(viewer, kind: str) -> bool:
    return viewer is not None and viewer.can(f"sup.field.clear.{kind}")


def shown(viewer, kind: str, value: str | None) -> str:
    """What this viewer sees of a personal field (lists, details, exports, prints)."""
    return value or "" if sees_clear(viewer, kind) else mask(kind, value)


def shown_fields(viewer, data: dict | None, kinds: Mapping[str, str]) -> None:
    """Masks, in place, the personal values of `data` (field name → masking kind) for this viewer."""
    if not data:
        return
    for key, kind in kinds.items():
        if data.get(key) not in (None, ""):
            data[key] = shown(viewer, kind, str(data[key]))

"""Audit log (SUP-14): who, when, where, what, before/after — written in the caller's transaction."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.core import db
from app.core.permissions import CurrentUser, Scope


@dataclass(frozen=True)
class Actor:
    """Who performs a service call; services take this instead of a request."""
    id: int | None
    name: str
    ip: str = ""
    scope: Scope = Scope(all=True)
    perms: frozenset[str] = frozenset()
    is_superuser: bool = False

    @classmethod
    def of(cls, user: CurrentUser, ip: str = "") -> Actor:
        return cls(user.id, user.username, ip, user.scope, user.perms, user.is_superuser)

    def can(self, perm: str) -> bool:
        return self.is_superuser or perm in self.perms


SYSTEM = Actor(None, "system", is_superuser=True)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in {"password_hash", "password"}}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def changed(before: dict | None, after: dict | None) -> list[str]:
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


async def record(actor: Actor, action: str, entity: str, entity_id: Any = "", *, before: dict | None = None,
                 after: dict | None = None, summary: str = "", org_id: int | None = None) -> None:
    await db.execute(
        "INSERT INTO audit_log (actor_id, actor_name, ip, action, entity, entity_id, summary, before, after, org_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10)",
        actor.id, actor.name, actor.ip, action, entity, str(entity_id), summary,
        json.dumps(_plain(before), ensure_ascii=False) if before is not None else None,
        json.dumps(_plain(after), ensure_ascii=False) if after is not None else None, org_id)


# --- how the audit viewer shows each entity's entries (SUP-14, SUP-16) ----------------------------------
# Modules register, per entity name, how to mask an entry's personal values for a viewer and which entries
# the viewer may see at all, so the log follows the same rules as each record's own pages.

ENTITY_ID = "CASE WHEN a.entity_id ~ '^[0-9]{1,18}$' THEN a.entity_id::bigint END"
"""The entry's entity id as a bigint (NULL when it is not a single id), in SQL over `audit_log a`."""


@dataclass(frozen=True)
class EntityView:
    # (viewer, entry) → None: masks entry["before"], entry["after"] (decoded dicts or None) and
    # entry["summary"] in place. Pure: no queries (it runs for every row of a list or an export).
    mask: Callable[[Actor, dict], None] | None = None
    # (viewer, args) → a WHERE fragment over `audit_log a` (parameters appended to args): the entries of
    # this entity the viewer may see. One fragment for the whole list/export query, so no per-row lookups.
    visible: Callable[[Actor, list], str] | None = None
    # The summary may hold a person's name: without the clear view it is not searchable (no guessing).
    personal_summary: bool = False


_VIEWS: dict[str, EntityView] = {}


def register_view(*entities: str, mask: Callable[[Actor, dict], None] | None = None,
                  visible: Callable[[Actor, list], str] | None = None, personal_summary: bool = False) -> None:
    view = EntityView(mask, visible, personal_summary)
    for entity in entities:
        _VIEWS[entity] = view


def views() -> dict[str, EntityView]:
    return _VIEWS

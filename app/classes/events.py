"""Class events (CLS-05): the hook. Class events will be the operations module's events scoped to a class
(sign-up, check-in, interaction, lucky draw, moderation of new events — 班级活动); that module is not built yet.
When it is, it registers a provider here (through app.classes.api.register_event_provider) and the class
page's "Events" section and the cohesion factor "events" fill in. Until then both are empty (0 events).

A provider is any object with two coroutines:
    async def events(class_id: int, viewer: Actor | None) -> list[dict]   # {title, url, starts_at}, newest first
    async def counts(class_ids: list[int], since: datetime) -> dict[int, int]  # events held since `since`
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from app.core.audit import Actor

log = logging.getLogger(__name__)


class EventProvider(Protocol):
    async def events(self, class_id: int, viewer: Actor | None) -> list[dict]: ...

    async def counts(self, class_ids: list[int], since: datetime) -> dict[int, int]: ...


_PROVIDERS: list[Any] = []


def register(provider: EventProvider) -> None:
    if provider not in _PROVIDERS:  # modules may be set up twice (the app factory in tests)
        _PROVIDERS.append(provider)


def unregister(provider: EventProvider) -> None:
    if provider in _PROVIDERS:
        _PROVIDERS.remove(provider)


def providers() -> list[Any]:
    return list(_PROVIDERS)


async def events_for(class_id: int, viewer: Actor | None, limit: int = 10) -> list[dict]:
    """Every provider's events of this class, newest first; a failing provider is logged and skipped."""
    found: list[dict] = []
    for provider in _PROVIDERS:
        try:
            found += await provider.events(class_id, viewer)
        except Exception:
            log.exception("class events provider %r failed", provider)
    return sorted(found, key=lambda e: str(e.get("starts_at") or ""), reverse=True)[:limit]


async def counts(class_ids: list[int], since: datetime) -> dict[int, int]:
    total: dict[int, int] = {}
    for provider in _PROVIDERS:
        try:
            for class_id, n in (await provider.counts(class_ids, since)).items():
                total[class_id] = total.get(class_id, 0) + int(n)
        except Exception:
            log.exception("class events provider %r failed", provider)
    return total

"""In-process publish/subscribe between modules: the publisher names what happened ("user.logged_in"),
subscribers in other modules react (points for a daily login …) without the publisher importing them.
A failing subscriber is logged and never breaks the publisher's action. Effects that must survive a
crash belong in a job the subscriber enqueues."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[Any]]
_subscribers: dict[str, list[Handler]] = {}


def subscribe(event: str, handler: Handler) -> None:
    handlers = _subscribers.setdefault(event, [])
    if handler not in handlers:  # modules may be imported twice (app factory in tests)
        handlers.append(handler)


async def publish(event: str, **data: Any) -> None:
    for handler in list(_subscribers.get(event, ())):
        try:
            await handler(**data)
        except Exception:
            log.exception("event %s: subscriber %s failed", event, getattr(handler, "__qualname__", handler))

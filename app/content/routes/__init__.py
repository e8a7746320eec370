"""The content platform's pages and file routes, and what they share: turning the services' NotFound /
NotAllowed into 404 / 403."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar import Request
from litestar.exceptions import NotFoundException

from app.content import owners
from app.content.owners import NotAllowed, NotFound
from app.core.audit import Actor
from app.core.permissions import PermissionDenied
from app.core.web import actor


@contextmanager
def http_errors() -> Iterator[None]:
    """`with http_errors(): await service(...)` — a missing item is 404, an owner's refusal 403."""
    try:
        yield
    except NotFound:
        raise NotFoundException() from None
    except NotAllowed:
        raise PermissionDenied() from None


async def moderator(request: Request) -> Actor:
    """The acting user, if any owner's hooks (or content.moderate) let them moderate something; else 403."""
    who = actor(request)
    if not await owners.moderates_any(who):
        raise PermissionDenied()
    return who

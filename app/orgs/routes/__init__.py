"""Route files of the orgs module: admin/ (the desktop pages of HQ and the org admins), h5/ (the alumni's phone
pages, the org admin on the phone, and the micro-sites /o/<address>). What both share: the content platform's
refusals as HTTP answers."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from litestar.exceptions import NotFoundException

from app.content import api as content
from app.core.permissions import PermissionDenied


@contextmanager
def content_errors() -> Iterator[None]:
    """`with content_errors(): await content.…` — an item that is missing (or not this org's) is 404, a refusal 403."""
    try:
        yield
    except content.NotFound:
        raise NotFoundException() from None
    except content.NotAllowed:
        raise PermissionDenied() from None


def same_owner(item: dict, org_id: int) -> None:
    """An article, album or post reached through an org's URL must belong to that org (else 404)."""
    if tuple(item.get("owner") or (item.get("owner_kind"), item.get("owner_id"))) != ("org", org_id):
        raise NotFoundException()

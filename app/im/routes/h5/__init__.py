"""The messenger's phone pages: what they share (the guard, the membership check as a 404)."""
from __future__ import annotations

from contextlib import contextmanager

from litestar.exceptions import NotFoundException

from app.core.permissions import login_required
from app.im.conversations import NotMember

H5 = [login_required]


@contextmanager
def member_or_404():
    """Someone else's conversation or message id in a URL answers exactly like one that does not exist."""
    try:
        yield
    except NotMember:
        raise NotFoundException() from None

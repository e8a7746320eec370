"""The messenger's phone pages: what they share (the guard, the membership check as a 404)."""
from __future__ import annotations

from contextlib import contextmanager

from litestar.exceptions import NotFoundException

from app.core import db
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


async def find_user(text: str) -> int | None:
    """An active user by account name or mobile number (what people type to start a chat)."""
    text = (text or "").strip()[:64]
    if not text:
        return None
    return await db.fetchval("SELECT id FROM app_user WHERE is_active AND (username = $1 OR phone = $1) LIMIT 1",
                             text)


async def find_users(text: str, limit: int = 200) -> list[int]:
    names = [n for n in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if n][:limit]
    if not names:
        return []
    rows = await db.fetch("SELECT id FROM app_user WHERE is_active AND (username = ANY($1::text[])"
                          " OR phone = ANY($1::text[]))", [n.strip()[:64] for n in names])
    return [r["id"] for r in rows]  # one query for the whole list, not one per name

"""Which stored content files a viewer may fetch (GET /media/content/…): the owner's can_view hook first (a
refused viewer gets 403), then the item's own state — a published photo of a published album, post or article
for everyone who may view the owner; a pending or rejected one only for moderators and its uploader; an
article's cover and attachments while it is a draft only for those who may post there.

Caching: what an anonymous visitor may see is public for a day; the rest private (pending: not stored)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.content import images, owners
from app.content.owners import NotAllowed, NotFound
from app.core import db
from app.core.audit import Actor
from app.core.storage import storage

PUBLIC = "public, max-age=86400"
PRIVATE = "private, max-age=600"
UNPUBLISHED = "private, no-store"

_PARENT = {
    "album": "SELECT status, author FROM cnt_album WHERE id = $1",
    "post": "SELECT status, author FROM cnt_post WHERE id = $1",
    "article": "SELECT status, author FROM cnt_article WHERE id = $1",
    "article_body": "SELECT status, author FROM cnt_article WHERE id = $1",
}


@dataclass(frozen=True)
class MediaFile:
    data: bytes
    content_type: str
    cache_control: str
    etag: str
    filename: str = ""


async def _parent_visible(viewer: Actor | None, kind: str, parent_id: int, owner, moderator: bool) -> bool:
    parent = await db.fetchrow(_PARENT[kind], parent_id)
    if parent is None or parent["status"] == "deleted":
        return False
    if parent["status"] == "published" or moderator:
        return True
    if kind in ("article", "article_body"):
        return await owners.can_post(viewer, owner)
    return viewer is not None and viewer.id is not None and parent["author"] == viewer.id


async def _cache(owner, published: bool) -> str:
    if not published:
        return UNPUBLISHED
    return PUBLIC if await owners.can_view(None, owner) else PRIVATE


def _etag(key: str) -> str:
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:20] + '"'


async def photo_file(viewer: Actor | None, photo_id: int, size: str) -> MediaFile:
    if size not in images.SIZES:
        raise NotFound()
    row = await db.fetchrow("SELECT * FROM cnt_photo WHERE id = $1", photo_id)
    if row is None or row["owner_kind"] not in owners.kinds():
        raise NotFound()
    owner = (row["owner_kind"], row["owner_id"])
    if not await owners.can_view(viewer, owner):
        raise NotAllowed()
    moderator = await owners.can_moderate(viewer, owner)
    mine = viewer is not None and viewer.id is not None and row["author"] == viewer.id
    if row["status"] == "published":
        if not await _parent_visible(viewer, row["parent_kind"], row["parent_id"], owner, moderator):
            raise NotFound()
    elif row["status"] in ("pending", "rejected"):
        if not (moderator or mine):
            raise NotFound()
    else:
        raise NotFound()
    key = row["thumb_key"] if size == "thumb" else row["display_key"]
    files = storage()
    if not files.exists(key):
        raise NotFound()
    parent_public = row["status"] == "published" and (
        await db.fetchval(_PARENT[row["parent_kind"]].replace("status, author", "status"), row["parent_id"])
        == "published")
    return MediaFile(files.get(key), images.mime_of(key), await _cache(owner, parent_public), _etag(key))


async def attachment_file(viewer: Actor | None, attachment_id: int) -> MediaFile:
    row = await db.fetchrow("SELECT t.*, a.owner_kind, a.owner_id, a.status FROM cnt_attachment t"
                            " JOIN cnt_article a ON a.id = t.article WHERE t.id = $1", attachment_id)
    if row is None or row["owner_kind"] not in owners.kinds():
        raise NotFound()
    owner = (row["owner_kind"], row["owner_id"])
    if not await owners.can_view(viewer, owner):
        raise NotAllowed()
    if row["status"] != "published" and not (await owners.can_post(viewer, owner)
                                             or await owners.can_moderate(viewer, owner)):
        raise NotFound()
    files = storage()
    if not files.exists(row["key"]):
        raise NotFound()
    return MediaFile(files.get(row["key"]), row["content_type"], await _cache(owner, row["status"] == "published"),
                     _etag(row["key"]), row["name"])

"""Albums and photos (ORG-06, CLS-06): members create albums and upload photos (type and size checked, EXIF
stripped, thumbnail and display copies, app/content/images.py); albums and photos each wait for a moderator
when the owner's setting says so. Lists show what is published plus the viewer's own pending items; the files
are served by GET /media/content/photos/{id}/{size} (app/content/media.py) under the same rules."""
from __future__ import annotations

from app.content import compliance, images, moderation, owners
from app.content.owners import FIRST_PAGE, NotAllowed, NotFound, Owner
from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

TITLE_MAX, DESCRIPTION_MAX, CAPTION_MAX = 100, 1000, 200


def _photo(row: dict) -> dict:
    row["thumb_url"] = f"/media/content/photos/{row['id']}/thumb"
    row["display_url"] = f"/media/content/photos/{row['id']}/display"
    return row


async def create_album(actor: Actor, owner: Owner, title: str, description: str = "") -> int:
    owner = owners.as_owner(owner)
    await owners.require(owners.can_post, actor, owner)
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    if len(title) > TITLE_MAX:
        raise Invalid("title", _("At most %(n)s characters.", n=TITLE_MAX))
    if len(description) > DESCRIPTION_MAX:
        raise Invalid("description", _("At most %(n)s characters.", n=DESCRIPTION_MAX))
    words = await compliance.screen(f"{title} {description}", "title")
    async with db.transaction():
        status = await moderation.initial_status(actor, owner, "album", words)
        album_id = await db.fetchval(
            "INSERT INTO cnt_album (owner_kind, owner_id, title, description, status, flagged_words, author,"
            " created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) RETURNING id",
            owner[0], owner[1], title, description, status, words, actor.id)
        await audit.record(actor, "create", "cnt_album", album_id, after={
            "owner": f"{owner[0]}:{owner[1]}", "title": title, "status": status, "flagged_words": words},
            summary=title)
    return album_id


async def _album(album_id: int, lock: bool = False) -> dict:
    row = await db.fetchrow("SELECT * FROM cnt_album WHERE id = $1 AND status <> 'deleted'"
                            + (" FOR UPDATE" if lock else ""), album_id)
    if row is None:
        raise NotFound()
    return row


async def add_photo(actor: Actor, album_id: int, filename: str, data: bytes, caption: str = "") -> int:
    """Upload one photo into an album: refused unless a real JPEG/PNG/GIF/WebP within the size limit; only the
    clean copies are kept. Published or pending per the owner's "photo" setting."""
    album = await _album(album_id)
    owner = (album["owner_kind"], album["owner_id"])
    if not (await owners.can_post(actor, owner) or (album["author"] == actor.id and actor.id is not None)):
        raise NotAllowed()
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise Invalid("caption", _("At most %(n)s characters.", n=CAPTION_MAX))
    words = await compliance.screen(caption, "caption") if caption else []
    await compliance.throttle(actor, "photo", "photo")
    try:
        stored = images.store(filename, data, field="photo")
    except Invalid as refusal:
        await compliance.record_refused_upload(actor, f"cnt_album:{album_id}", filename, refusal)
        raise
    async with db.transaction():
        status = await moderation.initial_status(actor, owner, "photo", words)
        photo_id = await db.fetchval(
            "INSERT INTO cnt_photo (owner_kind, owner_id, parent_kind, parent_id, caption, status, flagged_words,"
            " author, display_key, thumb_key, mime, width, height, size, original_name, sort, created_by, updated_by)"
            " VALUES ($1, $2, 'album', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
            " (SELECT COALESCE(max(sort), 0) + 1 FROM cnt_photo WHERE parent_kind = 'album' AND parent_id = $3),"
            " $7, $7) RETURNING id",
            owner[0], owner[1], album_id, caption, status, words, actor.id, stored.display_key, stored.thumb_key,
            stored.mime, stored.width, stored.height, stored.size, (filename or "")[-200:])
        if status == "published":
            await db.execute("UPDATE cnt_album SET cover_photo = $2 WHERE id = $1 AND cover_photo IS NULL",
                             album_id, photo_id)
        await audit.record(actor, "upload", "cnt_photo", photo_id, after={
            "album": album_id, "name": filename, "status": status, "width": stored.width, "height": stored.height,
            "bytes": stored.size}, summary=album["title"])
    return photo_id


_ALBUM_COLUMNS = ("a.id, a.owner_kind, a.owner_id, a.title, a.description, a.status, a.author, a.created_at,"
                  " a.flagged_words, a.reject_reason, u.name AS author_name")


async def _viewer_flags(viewer: Actor | None, owner: Owner) -> bool:
    if not await owners.can_view(viewer, owner):
        raise NotAllowed()
    return await owners.can_moderate(viewer, owner)


async def list_albums(owner: Owner, viewer: Actor | None) -> list[dict]:
    """An owner's albums, newest first, with a cover and the number of photos the viewer can see."""
    owner = owners.as_owner(owner)
    moderator = await _viewer_flags(viewer, owner)
    args: list = [owner[0], owner[1]]
    visible = moderation.visible_sql(viewer, args, moderator, alias="a.")
    photo_visible = moderation.visible_sql(viewer, args, moderator, alias="ph.")
    rows = await db.fetch(
        f"SELECT {_ALBUM_COLUMNS}, (SELECT count(*) FROM cnt_photo ph WHERE ph.parent_kind = 'album'"
        f" AND ph.parent_id = a.id AND {photo_visible}) AS photo_count,"
        f" COALESCE((SELECT ph.id FROM cnt_photo ph WHERE ph.id = a.cover_photo AND ph.status = 'published'),"
        f" (SELECT min(ph.id) FROM cnt_photo ph WHERE ph.parent_kind = 'album' AND ph.parent_id = a.id"
        f" AND {photo_visible})) AS cover_id"
        f" FROM cnt_album a LEFT JOIN app_user u ON u.id = a.author"
        f" WHERE a.owner_kind = $1 AND a.owner_id = $2 AND {visible} ORDER BY a.created_at DESC, a.id DESC", *args)
    for row in rows:
        row["owner"] = owner
        row["cover_url"] = f"/media/content/photos/{row['cover_id']}/thumb" if row["cover_id"] else ""
    return rows


async def get_album(album_id: int, viewer: Actor | None) -> dict:
    """One album for its page; NotFound when the viewer may not see it."""
    row = await db.fetchrow(f"SELECT {_ALBUM_COLUMNS} FROM cnt_album a LEFT JOIN app_user u ON u.id = a.author"
                            f" WHERE a.id = $1 AND a.status <> 'deleted'", album_id)
    if row is None or row["owner_kind"] not in owners.kinds():
        raise NotFound()
    owner = (row["owner_kind"], row["owner_id"])
    try:
        moderator = await _viewer_flags(viewer, owner)
    except NotAllowed:
        raise NotFound() from None
    mine = viewer is not None and viewer.id is not None and row["author"] == viewer.id
    if row["status"] != "published" and not (moderator or (mine and row["status"] == "pending")):
        raise NotFound()
    row["owner"] = owner
    row["can_upload"] = await owners.can_post(viewer, owner) or mine
    row["can_moderate"] = moderator
    return row


async def list_photos(album_id: int, viewer: Actor | None, req: PageRequest = FIRST_PAGE) -> Page:
    album = await get_album(album_id, viewer)
    args: list = [album_id]
    visible = moderation.visible_sql(viewer, args, album["can_moderate"])
    where = f"parent_kind = 'album' AND parent_id = $1 AND {visible}"
    total = await db.fetchval(f"SELECT count(*) FROM cnt_photo WHERE {where}", *args)
    rows = await db.fetch(f"SELECT id, caption, status, author, width, height, created_at, flagged_words FROM cnt_photo"
                          f" WHERE {where} ORDER BY sort, id LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_photo(r) for r in rows], total, req.page, req.per_page)


async def count_photos(owner: Owner, since=None) -> int:
    """Published album photos of an owner (cohesion rules count them)."""
    owner = owners.as_owner(owner)
    return (await count_photos_by_owner(owner[0], [owner[1]], since)).get(owner[1], 0)


async def count_photos_by_owner(owner_kind: str, owner_ids: list[int], since=None) -> dict[int, int]:
    """count_photos for many owners of one kind in one query: {owner id: count} (owners without photos absent)."""
    args: list = [owner_kind, list(owner_ids)]
    where = "owner_kind = $1 AND owner_id = ANY($2::bigint[]) AND parent_kind = 'album' AND status = 'published'"
    if since is not None:
        args.append(since)
        where += f" AND created_at >= ${len(args)}"
    rows = await db.fetch(f"SELECT owner_id, count(*) AS n FROM cnt_photo WHERE {where} GROUP BY owner_id", *args)
    return {r["owner_id"]: r["n"] for r in rows}


async def delete_photo(actor: Actor, photo_id: int) -> None:
    """By its uploader or a moderator: the row and both files go."""
    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM cnt_photo WHERE id = $1 AND parent_kind = 'album' FOR UPDATE",
                                photo_id)
        if row is None:
            raise NotFound()
        if row["author"] != actor.id and not await owners.can_moderate(actor, (row["owner_kind"], row["owner_id"])):
            raise NotAllowed()
        await db.execute("DELETE FROM cnt_comment WHERE target_kind = 'photo' AND target_id = $1", photo_id)
        await db.execute("DELETE FROM cnt_photo WHERE id = $1", photo_id)
        await db.execute("UPDATE cnt_album SET cover_photo = NULL WHERE cover_photo = $1", photo_id)
        await audit.record(actor, "delete", "cnt_photo", photo_id, before={
            "album": row["parent_id"], "name": row["original_name"], "status": row["status"],
            "author": row["author"]})
    images.remove(row["display_key"], row["thumb_key"])


async def delete_album(actor: Actor, album_id: int) -> None:
    """By its creator or a moderator: the album and every photo in it."""
    async with db.transaction():
        album = await _album(album_id, lock=True)
        owner = (album["owner_kind"], album["owner_id"])
        if album["author"] != actor.id and not await owners.can_moderate(actor, owner):
            raise NotAllowed()
        photos = await db.fetch("DELETE FROM cnt_photo WHERE parent_kind = 'album' AND parent_id = $1"
                                " RETURNING id, display_key, thumb_key", album_id)
        await db.execute("DELETE FROM cnt_comment WHERE target_kind = 'photo' AND target_id = ANY($1::bigint[])",
                         [p["id"] for p in photos])
        await db.execute("UPDATE cnt_album SET status = 'deleted', cover_photo = NULL, updated_at = now(),"
                         " updated_by = $2 WHERE id = $1", album_id, actor.id)
        await audit.record(actor, "delete", "cnt_album", album_id, before={
            "title": album["title"], "status": album["status"], "photos": len(photos)}, summary=album["title"])
    for photo in photos:
        images.remove(photo["display_key"], photo["thumb_key"])

"""Posts (ORG-07, CLS-03/04): class stories and posts, guestbook messages and replies — a text, an optional
title and date, up to nine pictures. The kind is the owning module's word ("story", "post", "message"); a
reply (parent_id) takes its parent's kind. Each kind has its own moderation setting per owner.

Who may write: a top-level post needs can_post, except the kinds the owner opened to everyone who may comment
(register_owner(open_post_kinds=…), e.g. guestbook messages); a reply needs can_comment. Lists show published
posts and the viewer's own pending ones (marked by their status)."""
from __future__ import annotations

from datetime import date

from app.content import compliance, moderation, owners
from app.content import images as image_store
from app.content.owners import FIRST_PAGE, NotAllowed, NotFound, Owner
from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

BODY_MAX, TITLE_MAX = 5000, 200
MAX_IMAGES = 9
_COLUMNS = ("p.id, p.owner_kind, p.owner_id, p.kind, p.title, p.body, p.happened_on, p.parent, p.status,"
            " p.featured, p.flagged_words, p.reject_reason, p.author, p.created_at, u.name AS author_name")


def _kind(kind: str) -> str:
    kind = (kind or "").strip().lower()
    if not kind or len(kind) > 16 or not kind.replace("_", "").isalnum() or kind in moderation.SETTING_KINDS:
        raise Invalid("kind", _("Unknown item kind %(kind)s.", kind=kind))
    return kind


def _photo_urls(row: dict) -> dict:
    return {"id": row["id"], "thumb_url": f"/media/content/photos/{row['id']}/thumb",
            "display_url": f"/media/content/photos/{row['id']}/display", "width": row["width"],
            "height": row["height"]}


async def create_post(actor: Actor, owner: Owner, *, kind: str, body: str, title: str = "", images=(),
                      parent_id: int | None = None, happened_on: date | None = None) -> int:
    owner = owners.as_owner(owner)
    body, title = (body or "").strip(), (title or "").strip()
    if parent_id is not None:
        parent = await db.fetchrow("SELECT id, owner_kind, owner_id, kind, status, parent FROM cnt_post"
                                   " WHERE id = $1", parent_id)
        if parent is None or (parent["owner_kind"], parent["owner_id"]) != owner or parent["status"] != "published":
            raise Invalid("parent_id", _("The message you reply to is not available."))
        if parent["parent"] is not None:
            parent_id = parent["parent"]  # replies stay one level deep
        kind = parent["kind"]
        await owners.require(owners.can_comment, actor, owner)
    else:
        kind = _kind(kind)
        open_kinds = owners.owner_kind(owner[0]).open_post_kinds
        check = owners.can_comment if kind in open_kinds else owners.can_post
        await owners.require(check, actor, owner)
    if not body:
        raise Invalid("body", _("This field is required."))
    if len(body) > BODY_MAX:
        raise Invalid("body", _("At most %(n)s characters.", n=BODY_MAX))
    if len(title) > TITLE_MAX:
        raise Invalid("title", _("At most %(n)s characters.", n=TITLE_MAX))
    pictures = list(images or ())
    if len(pictures) > MAX_IMAGES:
        raise Invalid("images", _("At most %(n)s pictures.", n=MAX_IMAGES))
    for name, data in pictures:
        await compliance.audited_check_image(actor, f"{owner[0]}:{owner[1]}", name, data, field="images")
    await compliance.throttle(actor, "post", "body")
    words = await compliance.screen(f"{title} {body}", "body")
    async with db.transaction():
        status = await moderation.initial_status(actor, owner, kind, words)
        post_id = await db.fetchval(
            "INSERT INTO cnt_post (owner_kind, owner_id, kind, title, body, happened_on, parent, status, flagged_words,"
            " author, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING id",
            owner[0], owner[1], kind, title, body, happened_on, parent_id, status, words, actor.id)
        for sort, (name, data) in enumerate(pictures):
            stored = image_store.store(name, data, field="images")
            await db.execute(
                "INSERT INTO cnt_photo (owner_kind, owner_id, parent_kind, parent_id, status, author, display_key,"
                " thumb_key, mime, width, height, size, original_name, sort, created_by, updated_by)"
                " VALUES ($1, $2, 'post', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $5, $5)",
                owner[0], owner[1], post_id, status, actor.id, stored.display_key, stored.thumb_key, stored.mime,
                stored.width, stored.height, stored.size, name[-200:], sort)
        await audit.record(actor, "create", "cnt_post", post_id, after={
            "owner": f"{owner[0]}:{owner[1]}", "kind": kind, "status": status, "parent": parent_id,
            "flagged_words": words, "images": len(pictures)}, summary=(title or body)[:80])
    return post_id


async def _with_pictures_and_replies(rows: list[dict], viewer: Actor | None, moderator: bool) -> list[dict]:
    ids = [r["id"] for r in rows]
    photos: dict[int, list] = {}
    replies: dict[int, list] = {}
    if ids:
        for ph in await db.fetch("SELECT id, parent_id, width, height FROM cnt_photo WHERE parent_kind = 'post'"
                                 " AND parent_id = ANY($1::bigint[]) ORDER BY sort, id", ids):
            photos.setdefault(ph["parent_id"], []).append(_photo_urls(ph))
        args: list = [ids]
        visible = moderation.visible_sql(viewer, args, moderator, alias="p.")
        for reply in await db.fetch(f"SELECT {_COLUMNS} FROM cnt_post p LEFT JOIN app_user u ON u.id = p.author"
                                    f" WHERE p.parent = ANY($1::bigint[]) AND {visible}"
                                    f" ORDER BY p.created_at, p.id", *args):
            replies.setdefault(reply["parent"], []).append(reply)
    for row in rows:
        row["owner"] = (row["owner_kind"], row["owner_id"])
        row["images"] = photos.get(row["id"], [])
        row["replies"] = replies.get(row["id"], [])
    return rows


async def list_posts(owner: Owner, *, kind: str, viewer: Actor | None, req: PageRequest = FIRST_PAGE,
                     status: str = "published", featured: bool | None = None, include_own_pending: bool = True,
                     author_id: int | None = None) -> Page:
    """Top-level posts of one kind, newest first, each with its pictures and replies.
    status "published" (plus the viewer's own pending ones unless include_own_pending=False); "pending" or
    "all" only for moderators. The viewer must be allowed to view the owner (NotAllowed otherwise)."""
    owner = owners.as_owner(owner)
    kind = _kind(kind)
    if not await owners.can_view(viewer, owner):
        raise NotAllowed()
    moderator = await owners.can_moderate(viewer, owner)
    args: list = [owner[0], owner[1], kind]
    where = "p.owner_kind = $1 AND p.owner_id = $2 AND p.kind = $3 AND p.parent IS NULL"
    if status in ("pending", "all"):
        if not moderator:
            raise NotAllowed()
        where += " AND p.status = 'pending'" if status == "pending" else " AND p.status <> 'deleted'"
    elif include_own_pending:
        where += " AND " + moderation.visible_sql(viewer, args, alias="p.")
    else:
        where += " AND p.status = 'published'"
    if featured is not None:
        where += " AND p.featured" if featured else " AND NOT p.featured"
    if author_id is not None:
        args.append(author_id)
        where += f" AND p.author = ${len(args)}"
    total = await db.fetchval(f"SELECT count(*) FROM cnt_post p WHERE {where}", *args)
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM cnt_post p LEFT JOIN app_user u ON u.id = p.author WHERE {where}"
                          f" ORDER BY p.created_at DESC, p.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(await _with_pictures_and_replies(rows, viewer, moderator), total, req.page, req.per_page)


async def get_post(post_id: int, viewer: Actor | None) -> dict:
    """One post as its list shows it; NotFound when the viewer may not see it (pending: author and moderators)."""
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM cnt_post p LEFT JOIN app_user u ON u.id = p.author"
                            f" WHERE p.id = $1 AND p.status <> 'deleted'", post_id)
    if row is None:
        raise NotFound()
    owner = (row["owner_kind"], row["owner_id"])
    if owner[0] not in owners.kinds() or not await owners.can_view(viewer, owner):
        raise NotFound()
    moderator = await owners.can_moderate(viewer, owner)
    mine = viewer is not None and viewer.id is not None and row["author"] == viewer.id
    if row["status"] != "published" and not (moderator or (mine and row["status"] == "pending")):
        raise NotFound()
    return (await _with_pictures_and_replies([row], viewer, moderator))[0]


async def count_posts(owner: Owner, kind: str | None = None, since=None) -> int:
    """Published posts of an owner (cohesion rules count them); kind and a start time narrow the count."""
    owner = owners.as_owner(owner)
    return (await count_posts_by_owner(owner[0], [owner[1]], (kind,) if kind else None, since)).get(owner[1], 0)


async def count_posts_by_owner(owner_kind: str, owner_ids: list[int], kinds: tuple[str, ...] | None = None,
                               since=None) -> dict[int, int]:
    """count_posts for many owners of one kind in one query: {owner id: count} (owners without posts absent)."""
    args: list = [owner_kind, list(owner_ids)]
    where = "owner_kind = $1 AND owner_id = ANY($2::bigint[]) AND status = 'published' AND parent IS NULL"
    if kinds:
        args.append(list(kinds))
        where += f" AND kind = ANY(${len(args)}::varchar[])"
    if since is not None:
        args.append(since)
        where += f" AND created_at >= ${len(args)}"
    rows = await db.fetch(f"SELECT owner_id, count(*) AS n FROM cnt_post WHERE {where} GROUP BY owner_id", *args)
    return {r["owner_id"]: r["n"] for r in rows}


async def _post_for_change(actor: Actor, post_id: int) -> tuple[dict, bool]:
    row = await db.fetchrow("SELECT * FROM cnt_post WHERE id = $1 AND status <> 'deleted' FOR UPDATE", post_id)
    if row is None:
        raise NotFound()
    return row, await owners.can_moderate(actor, (row["owner_kind"], row["owner_id"]))


async def feature(actor: Actor, post_id: int, on: bool) -> None:
    """精选: a moderator marks a published post featured (or not)."""
    async with db.transaction():
        row, moderator = await _post_for_change(actor, post_id)
        if not moderator:
            raise NotAllowed()
        if on and row["status"] != "published":
            raise Invalid("featured", _("Only published messages can be featured."))
        await db.execute("UPDATE cnt_post SET featured = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         post_id, bool(on), actor.id)
        await audit.record(actor, "feature", "cnt_post", post_id, before={"featured": row["featured"]},
                           after={"featured": bool(on)}, summary=(row["title"] or row["body"])[:80])


async def delete_post(actor: Actor, post_id: int) -> None:
    """By its author or a moderator: the post (and its replies) leave every list; its pictures are deleted."""
    async with db.transaction():
        row, moderator = await _post_for_change(actor, post_id)
        if not moderator and row["author"] != actor.id:
            raise NotAllowed()
        ids = [post_id] + [r["id"] for r in await db.fetch("SELECT id FROM cnt_post WHERE parent = $1", post_id)]
        await db.execute("UPDATE cnt_post SET status = 'deleted', featured = FALSE, updated_at = now(),"
                         " updated_by = $2 WHERE id = ANY($1::bigint[])", ids, actor.id)
        photos = await db.fetch("DELETE FROM cnt_photo WHERE parent_kind = 'post' AND parent_id = ANY($1::bigint[])"
                                " RETURNING display_key, thumb_key", ids)
        await db.execute("DELETE FROM cnt_comment WHERE target_kind = 'post' AND target_id = ANY($1::bigint[])", ids)
        await audit.record(actor, "delete", "cnt_post", post_id, before={
            "status": row["status"], "kind": row["kind"], "body": row["body"][:200], "author": row["author"]},
            after={"status": "deleted", "replies": len(ids) - 1}, summary=(row["title"] or row["body"])[:80])
    for photo in photos:
        image_store.remove(photo["display_key"], photo["thumb_key"])

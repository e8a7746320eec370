"""Comments on articles, posts and photos (ORG-05 用户评论支持先审后发): whoever may comment on the item's owner
writes one; it waits for a moderator when the owner's "comment" setting is on (the default) or it holds
sensitive words. Threads show published comments and the viewer's own pending ones."""
from __future__ import annotations

from app.content import compliance, moderation, owners
from app.content.owners import NotAllowed, NotFound, Owner
from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _

TARGETS = {"article": "SELECT owner_kind, owner_id, status, NULL::bigint AS author FROM cnt_article WHERE id = $1",
           "post": "SELECT owner_kind, owner_id, status, author FROM cnt_post WHERE id = $1",
           "photo": "SELECT p.owner_kind, p.owner_id, CASE WHEN p.status = 'published' AND COALESCE(a.status,"
                    " 'published') = 'published' THEN 'published' ELSE 'hidden' END AS status, p.author"
                    " FROM cnt_photo p LEFT JOIN cnt_album a ON p.parent_kind = 'album' AND a.id = p.parent_id"
                    " WHERE p.id = $1"}
BODY_MAX = 1000


async def target_owner(target_kind: str, target_id: int, viewer: Actor | None) -> Owner:
    """The owner of a published item the viewer may see; NotFound otherwise (no hint that it exists)."""
    if target_kind not in TARGETS:
        raise NotFound()
    row = await db.fetchrow(TARGETS[target_kind], target_id)
    if row is None or row["status"] != "published" or row["owner_kind"] not in owners.kinds():
        raise NotFound()
    owner = (row["owner_kind"], row["owner_id"])
    if not await owners.can_view(viewer, owner):
        raise NotFound()
    return owner


async def add_comment(actor: Actor, target_kind: str, target_id: int, body: str) -> int:
    """Returns the comment id; its status is "published" or "pending" (see get_comment / the thread)."""
    owner = await target_owner(target_kind, target_id, actor)
    await owners.require(owners.can_comment, actor, owner)
    body = (body or "").strip()
    if not body:
        raise Invalid("body", _("Write a comment first."))
    if len(body) > BODY_MAX:
        raise Invalid("body", _("At most %(n)s characters.", n=BODY_MAX))
    await compliance.throttle(actor, "comment", "body")
    words = await compliance.screen(body, "body")
    async with db.transaction():
        status = await moderation.initial_status(actor, owner, "comment", words)
        comment_id = await db.fetchval(
            "INSERT INTO cnt_comment (owner_kind, owner_id, target_kind, target_id, body, status, flagged_words,"
            " author, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING id",
            owner[0], owner[1], target_kind, target_id, body, status, words, actor.id)
        await audit.record(actor, "create", "cnt_comment", comment_id, after={
            "target": f"{target_kind}:{target_id}", "status": status, "flagged_words": words}, summary=body[:80])
    return comment_id


async def comment_status(comment_id: int) -> str:
    return await db.fetchval("SELECT status FROM cnt_comment WHERE id = $1", comment_id) or ""


async def list_comments(target_kind: str, target_id: int, viewer: Actor | None) -> list[dict]:
    """The thread under an item, oldest first: published comments and the viewer's own pending ones."""
    try:
        owner = await target_owner(target_kind, target_id, viewer)
    except NotFound:
        return []
    args: list = [target_kind, target_id]
    visible = moderation.visible_sql(viewer, args, alias="c.")
    rows = await db.fetch(f"SELECT c.id, c.body, c.status, c.author, c.created_at, u.name AS author_name"
                          f" FROM cnt_comment c LEFT JOIN app_user u ON u.id = c.author"
                          f" WHERE c.target_kind = $1 AND c.target_id = $2 AND {visible}"
                          f" ORDER BY c.created_at, c.id LIMIT 500", *args)
    moderator = await owners.can_moderate(viewer, owner)
    for row in rows:
        row["can_delete"] = moderator or (viewer is not None and row["author"] == viewer.id)
    return rows


async def count_comments(target_kind: str, target_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM cnt_comment WHERE target_kind = $1 AND target_id = $2"
                             " AND status = 'published'", target_kind, target_id)


async def delete_comment(actor: Actor, comment_id: int) -> None:
    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM cnt_comment WHERE id = $1 AND status <> 'deleted' FOR UPDATE",
                                comment_id)
        if row is None:
            raise NotFound()
        if row["author"] != actor.id and not await owners.can_moderate(actor, (row["owner_kind"], row["owner_id"])):
            raise NotAllowed()
        await db.execute("UPDATE cnt_comment SET status = 'deleted', updated_at = now(), updated_by = $2"
                         " WHERE id = $1", comment_id, actor.id)
        await audit.record(actor, "delete", "cnt_comment", comment_id, before={
            "status": row["status"], "body": row["body"][:200], "author": row["author"]}, after={"status": "deleted"},
            summary=row["body"][:80])

"""Service accounts (IM-07, 服务号): accounts with columns (栏目) that users subscribe to; an account's articles are
content-platform articles owned by ("im_account", id) — the rich editor, sanitised body, cover and attachments,
comments and their moderation queue are the content platform's (app.content.api). This module keeps what content
does not know (`im_account_article`): the article's column, when it was pushed and whether it was edited after.

- Publishing an article pushes it once: every subscriber gets a weak reminder, an in-site inbox message through
  app.core.notify (template `im_account_push`), no unread chat badge. An article held for moderation (sensitive
  words) is pushed from the admin page once it is published.
- Comments go through content's moderation (the owner's "comment" setting, on by default): approving or rejecting
  tells the commenter (content's `content_approved` / `content_rejected`); a moderator deleting a comment from the
  account desk tells them too (`im_account_comment_deleted`).
- Users see the active accounts ordered by sort, then name; the ones they subscribe to first.
Permission: `im.accounts` runs accounts, posts their articles and moderates their comments."""
from __future__ import annotations

from app.content import api as content
from app.content import images
from app.core import audit, db, notify, settings_store, uploads
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.storage import storage

OWNER = "im_account"
PERMISSION = "im.accounts"
PUSH_TEMPLATE = "im_account_push"
COMMENT_DELETED = "im_account_comment_deleted"
STATUSES = {"active": L("Active"), "off": L("Switched off")}
NAME_MAX, INTRO_MAX, COLUMN_MAX = 100, 2000, 50
SORT_MIN, SORT_MAX = 0, 100000
MEDIA_MAX = 10  # videos per article
DEFAULT_VIDEO_MAX_MB, VIDEO_MAX_MB = 100, 1024  # the limit is the messenger's file limit, im.file_max_mb

notify.DEFAULT_TEMPLATES.setdefault(PUSH_TEMPLATE, (L("Service account article"), {
    "inbox": (L("{{ account }}: {{ title }}"), L("{{ account }} published \"{{ title }}\".\n{{ summary }}")),
}))
notify.DEFAULT_TEMPLATES.setdefault(COMMENT_DELETED, (L("Service account comment deleted"), {
    "inbox": (L("Comment deleted: {{ account }}"),
              L("Your comment on \"{{ title }}\" was deleted by the account's editors.")),
}))


class NotFound(Exception):
    """No such account, column or account article (404)."""


def owner(account_id: int) -> tuple[str, int]:
    return (OWNER, int(account_id))


# --- the content owner hooks ----------------------------------------------------------------------------

def _runs(actor: Actor | None) -> bool:
    return actor is not None and actor.can(PERMISSION)


async def _status(account_id: int) -> str | None:
    return await db.fetchval("SELECT status FROM im_account WHERE id = $1", int(account_id))


async def _can_view(actor: Actor | None, account_id: int) -> bool:
    status = await _status(account_id)
    return status == "active" or (status is not None and _runs(actor))


async def _can_post(actor: Actor, account_id: int) -> bool:
    return _runs(actor) and await _status(account_id) is not None


async def _can_comment(actor: Actor, account_id: int) -> bool:
    return actor is not None and actor.id is not None and await _status(account_id) == "active"


async def _moderated_ids(actor: Actor) -> list[int] | None:
    return None if _runs(actor) else []


async def _url(account_id: int) -> str:
    return f"/h5/im/accounts/{int(account_id)}"


async def _name(account_id: int) -> str:
    return await db.fetchval("SELECT name FROM im_account WHERE id = $1", int(account_id)) or ""


def register() -> None:
    """Registers the content owner kind "im_account" (module setup)."""
    content.register_owner(OWNER, L("Service account"), can_view=_can_view, can_post=_can_post,
                           can_moderate=_can_post, moderated_ids=_moderated_ids, url=_url, name=_name,
                           can_comment=_can_comment,
                           item_kinds={"article": L("Articles"), "comment": L("Comments")})


# --- accounts -------------------------------------------------------------------------------------------

def _clean_account(name: str, intro: str, sort, status: str) -> dict:
    name, intro = (name or "").strip(), (intro or "").strip()
    if not name:
        raise Invalid("name", _("This field is required."))
    if len(name) > NAME_MAX:
        raise Invalid("name", _("At most %(n)s characters.", n=NAME_MAX))
    if len(intro) > INTRO_MAX:
        raise Invalid("intro", _("At most %(n)s characters.", n=INTRO_MAX))
    if status not in STATUSES:
        raise Invalid("status", _("Choose from the list."))
    return {"name": name, "intro": intro, "sort": _sort(sort), "status": status}


def _sort(value) -> int:
    try:
        sort = int(value if value not in (None, "") else 100)
    except (TypeError, ValueError):
        raise Invalid("sort", _("Enter a whole number.")) from None
    if not SORT_MIN <= sort <= SORT_MAX:
        raise Invalid("sort", _("Between %(a)s and %(b)s.", a=SORT_MIN, b=SORT_MAX))
    return sort


async def create(actor: Actor, *, name: str, intro: str = "", sort=100, status: str = "active") -> int:
    values = _clean_account(name, intro, sort, status)
    async with db.transaction():
        account_id = await db.fetchval(
            "INSERT INTO im_account (name, intro, sort, status, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $5) RETURNING id", values["name"], values["intro"], values["sort"],
            values["status"], actor.id)
        await audit.record(actor, "create", "im_account", account_id, after=values, summary=values["name"])
    return account_id


async def update(actor: Actor, account_id: int, *, name: str, intro: str = "", sort=100,
                 status: str = "active") -> None:
    values = _clean_account(name, intro, sort, status)
    async with db.transaction():
        before = await db.fetchrow("SELECT name, intro, sort, status FROM im_account WHERE id = $1 FOR UPDATE",
                                   account_id)
        if before is None:
            raise NotFound()
        await db.execute("UPDATE im_account SET name = $2, intro = $3, sort = $4, status = $5, updated_at = now(),"
                         " updated_by = $6 WHERE id = $1", account_id, values["name"], values["intro"],
                         values["sort"], values["status"], actor.id)
        changed = audit.changed(dict(before), values)
        await audit.record(actor, "update", "im_account", account_id, before={k: before[k] for k in changed},
                           after={k: values[k] for k in changed}, summary=values["name"])


AVATAR_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                "webp": "image/webp"}


async def set_avatar(actor: Actor, account_id: int, filename: str, data: bytes) -> None:
    """The account's picture: checked and re-encoded by the content platform (upright, no EXIF), the thumbnail
    (within 320 px) kept."""
    stored = images.store(filename, data, field="avatar")
    images.remove(stored.display_key)
    async with db.transaction():
        before = await db.fetchval("SELECT avatar_key FROM im_account WHERE id = $1 FOR UPDATE", account_id)
        if before is None:
            images.remove(stored.thumb_key)
            raise NotFound()
        await db.execute("UPDATE im_account SET avatar_key = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
                         account_id, stored.thumb_key, actor.id)
        await audit.record(actor, "update", "im_account", account_id, before={"avatar": before or ""},
                           after={"avatar": filename[-200:]}, summary=filename[-200:])
    if before:
        images.remove(before)


async def avatar(viewer: Actor | None, account_id: int) -> tuple[str, str] | None:
    """(storage key, content type) of the account's picture, if the viewer may see the account."""
    row = await db.fetchrow("SELECT avatar_key, status FROM im_account WHERE id = $1", account_id)
    if row is None or not row["avatar_key"] or (row["status"] != "active" and not _runs(viewer)):
        return None
    return row["avatar_key"], AVATAR_TYPES.get(row["avatar_key"].rsplit(".", 1)[-1].lower(), "image/jpeg")


async def get(account_id: int) -> dict:
    row = await db.fetchrow("SELECT a.*, (SELECT count(*) FROM im_subscription s WHERE s.account = a.id)"
                            " AS subscribers FROM im_account a WHERE a.id = $1", account_id)
    if row is None:
        raise NotFound()
    return row


async def get_active(account_id: int) -> dict:
    row = await get(account_id)
    if row["status"] != "active":
        raise NotFound()
    return row


async def admin_list(req: PageRequest) -> Page:
    total = await db.fetchval("SELECT count(*) FROM im_account")
    rows = await db.fetch(
        "SELECT a.id, a.name, a.sort, a.status, a.updated_at,"
        " (SELECT count(*) FROM im_subscription s WHERE s.account = a.id) AS subscribers,"
        " (SELECT count(*) FROM im_account_article x WHERE x.account = a.id AND x.pushed_at IS NOT NULL) AS pushed"
        f" FROM im_account a ORDER BY a.sort, a.name, a.id LIMIT {req.per_page} OFFSET {req.offset}")
    return Page(rows, total, req.page, req.per_page)


async def for_user(user_id: int, req: PageRequest) -> Page:
    """Active accounts for the phone list: subscribed first, then sort, then name."""
    total = await db.fetchval("SELECT count(*) FROM im_account WHERE status = 'active'")
    rows = await db.fetch(
        "SELECT a.id, a.name, a.intro, a.avatar_key, (s.id IS NOT NULL) AS subscribed,"
        " (SELECT max(x.pushed_at) FROM im_account_article x JOIN cnt_article c ON c.id = x.article"
        "   AND c.status = 'published' WHERE x.account = a.id) AS last_push"
        ' FROM im_account a LEFT JOIN im_subscription s ON s.account = a.id AND s."user" = $1'
        " WHERE a.status = 'active' ORDER BY (s.id IS NULL), a.sort, a.name, a.id"
        f" LIMIT {req.per_page} OFFSET {req.offset}", user_id)
    return Page(rows, total, req.page, req.per_page)


# --- columns --------------------------------------------------------------------------------------------

def _clean_column(name: str, sort) -> dict:
    name = (name or "").strip()
    if not name:
        raise Invalid("column_name", _("This field is required."))
    if len(name) > COLUMN_MAX:
        raise Invalid("column_name", _("At most %(n)s characters.", n=COLUMN_MAX))
    return {"name": name, "sort": _sort(sort)}


async def columns(account_id: int) -> list[dict]:
    return await db.fetch("SELECT id, name, sort FROM im_account_column WHERE account = $1 ORDER BY sort, name, id",
                          account_id)


async def add_column(actor: Actor, account_id: int, *, name: str, sort=100) -> int:
    values = _clean_column(name, sort)
    await get(account_id)
    async with db.transaction():
        column_id = await db.fetchval(
            "INSERT INTO im_account_column (account, name, sort, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $4) RETURNING id", account_id, values["name"], values["sort"], actor.id)
        await audit.record(actor, "create", "im_account_column", column_id, after={"account": account_id, **values},
                           summary=values["name"])
    return column_id


async def _column(account_id: int, column_id: int, lock: bool = False) -> dict:
    row = await db.fetchrow("SELECT * FROM im_account_column WHERE id = $1 AND account = $2"
                            + (" FOR UPDATE" if lock else ""), column_id, account_id)
    if row is None:
        raise NotFound()
    return row


async def update_column(actor: Actor, account_id: int, column_id: int, *, name: str, sort=100) -> None:
    values = _clean_column(name, sort)
    async with db.transaction():
        before = await _column(account_id, column_id, lock=True)
        await db.execute("UPDATE im_account_column SET name = $2, sort = $3, updated_at = now(), updated_by = $4"
                         " WHERE id = $1", column_id, values["name"], values["sort"], actor.id)
        await audit.record(actor, "update", "im_account_column", column_id,
                           before={"name": before["name"], "sort": before["sort"]}, after=values,
                           summary=values["name"])


async def delete_column(actor: Actor, account_id: int, column_id: int) -> None:
    """Its articles stay, without a column."""
    async with db.transaction():
        before = await _column(account_id, column_id, lock=True)
        await db.execute("DELETE FROM im_account_column WHERE id = $1", column_id)
        await audit.record(actor, "delete", "im_account_column", column_id,
                           before={"account": account_id, "name": before["name"]}, summary=before["name"])


async def _column_or_none(account_id: int, column_id) -> int | None:
    if column_id in (None, "", 0, "0"):
        return None
    try:
        column_id = int(column_id)
    except (TypeError, ValueError):
        raise Invalid("column", _("Choose from the list.")) from None
    if not await db.fetchval("SELECT 1 FROM im_account_column WHERE id = $1 AND account = $2", column_id,
                             account_id):
        raise Invalid("column", _("Choose from the list."))
    return column_id


# --- subscriptions --------------------------------------------------------------------------------------

async def subscribe(actor: Actor, account_id: int) -> None:
    await get_active(account_id)
    added = await db.fetchval('INSERT INTO im_subscription (account, "user") VALUES ($1, $2)'
                              " ON CONFLICT DO NOTHING RETURNING id", account_id, actor.id)
    if added:
        await audit.record(actor, "subscribe", "im_account", account_id)


async def unsubscribe(actor: Actor, account_id: int) -> None:
    removed = await db.fetchval('DELETE FROM im_subscription WHERE account = $1 AND "user" = $2 RETURNING id',
                                account_id, actor.id)
    if removed:
        await audit.record(actor, "unsubscribe", "im_account", account_id)


async def is_subscribed(user_id: int | None, account_id: int) -> bool:
    if user_id is None:
        return False
    return bool(await db.fetchval('SELECT 1 FROM im_subscription WHERE account = $1 AND "user" = $2', account_id,
                                  user_id))


async def subscribers(account_id: int) -> list[int]:
    return [r["user"] for r in await db.fetch('SELECT "user" FROM im_subscription WHERE account = $1',
                                              account_id)]


# --- articles -------------------------------------------------------------------------------------------

async def create_article(actor: Actor, account_id: int, *, column, title: str, body_html: str, summary: str = "",
                         cover=None, attachments=(), publish: bool = False) -> int:
    """A content article of the account in a column; published (publish=True) means pushed."""
    await get(account_id)
    column_id = await _column_or_none(account_id, column)
    async with db.transaction():  # content's own transaction joins this one
        article_id = await content.create_article(actor, owner(account_id), title=title, body_html=body_html,
                                                  summary=summary, cover=cover, attachments=attachments,
                                                  status="published" if publish else "draft")
        await db.execute("INSERT INTO im_account_article (article, account, account_column) VALUES ($1, $2, $3)",
                         article_id, account_id, column_id)
        await push(actor, article_id)
    return article_id


async def article_row(account_id: int, article_id: int) -> dict:
    """The account's article (content's get_article) with column, pushed_at and edited_at."""
    row = await db.fetchrow("SELECT x.account_column, x.pushed_at, x.edited_at, c.name AS column_name"
                            " FROM im_account_article x LEFT JOIN im_account_column c ON c.id = x.account_column"
                            " WHERE x.article = $1 AND x.account = $2", article_id, account_id)
    if row is None:
        raise NotFound()
    try:
        article = await content.get_article(article_id)
    except content.NotFound:
        raise NotFound() from None
    return {**article, **row, "media": await media_of(article_id)}


async def update_article(actor: Actor, account_id: int, article_id: int, *, column, title: str, body_html: str,
                         summary: str = "", cover=None, remove_cover: bool = False, attachments=(),
                         remove_attachments=(), publish: bool = False) -> str:
    """Edit an account article; an article already pushed is marked edited (subscribers are not told again)."""
    before = await article_row(account_id, article_id)
    column_id = await _column_or_none(account_id, column)
    async with db.transaction():  # content's own transactions join this one
        status = await content.update_article(actor, article_id, title=title, summary=summary,
                                              body_html=body_html, cover=cover, remove_cover=remove_cover,
                                              attachments=attachments, remove_attachments=remove_attachments)
        if publish:
            status = await content.publish(actor, article_id)
        await db.execute("UPDATE im_account_article SET account_column = $2,"
                         " edited_at = CASE WHEN pushed_at IS NOT NULL THEN now() ELSE edited_at END"
                         " WHERE article = $1", article_id, column_id)
        if before["account_column"] != column_id:
            await audit.record(actor, "update", "im_account_article", article_id,
                               before={"column": before["account_column"]}, after={"column": column_id},
                               summary=title)
        await push(actor, article_id)
    return status


async def publish_article(actor: Actor, account_id: int, article_id: int) -> str:
    await article_row(account_id, article_id)
    status = await content.publish(actor, article_id)
    await push(actor, article_id)
    return status


async def push(actor: Actor, article_id: int) -> int:
    """Send a published, not yet pushed article to the subscribers (inbox); returns how many were told."""
    async with db.transaction():
        row = await db.fetchrow(
            "UPDATE im_account_article x SET pushed_at = now() FROM cnt_article c, im_account a"
            " WHERE x.article = $1 AND x.pushed_at IS NULL AND c.id = x.article AND c.status = 'published'"
            " AND a.id = x.account RETURNING x.account, a.name AS account_name, c.title, c.summary", article_id)
        if row is None:
            return 0
        users = await subscribers(row["account"])
        url = f"/h5/im/accounts/{row['account']}/articles/{article_id}"
        if users:
            await notify.notify(users, PUSH_TEMPLATE, {"account": row["account_name"], "title": row["title"],
                                                       "summary": row["summary"] or ""}, channels=("inbox",),
                                url=url)
        await audit.record(actor, "push", "im_account_article", article_id, after={"subscribers": len(users)},
                           summary=row["title"])
    return len(users)


async def delete_article(actor: Actor, account_id: int, article_id: int) -> None:
    await article_row(account_id, article_id)
    await content.delete_article(actor, article_id)
    keys = [r["key"] for r in await db.fetch("DELETE FROM im_account_media WHERE article = $1 RETURNING key",
                                             article_id)]
    await db.execute("DELETE FROM im_account_article WHERE article = $1", article_id)
    for key in keys:
        storage().delete(key)


async def admin_articles(account_id: int, req: PageRequest) -> Page:
    """Every article of the account (drafts too) for the desk, newest first."""
    total = await db.fetchval("SELECT count(*) FROM im_account_article x JOIN cnt_article c ON c.id = x.article"
                              " WHERE x.account = $1", account_id)
    rows = await db.fetch(
        "SELECT c.id, c.title, c.status, c.updated_at, x.pushed_at, x.edited_at, col.name AS column_name,"
        " (SELECT count(*) FROM cnt_comment m WHERE m.target_kind = 'article' AND m.target_id = c.id"
        "   AND m.status = 'pending') AS pending_comments"
        " FROM im_account_article x JOIN cnt_article c ON c.id = x.article"
        " LEFT JOIN im_account_column col ON col.id = x.account_column WHERE x.account = $1"
        f" ORDER BY c.created_at DESC, c.id DESC LIMIT {req.per_page} OFFSET {req.offset}", account_id)
    return Page(rows, total, req.page, req.per_page)


async def history(account_id: int, req: PageRequest, column_id: int | None = None) -> Page:
    """The pushed (and still published) articles, newest push first; column narrows to one column."""
    args: list = [account_id]
    where = "x.account = $1 AND x.pushed_at IS NOT NULL AND c.status = 'published'"
    if column_id:
        args.append(column_id)
        where += f" AND x.account_column = ${len(args)}"
    total = await db.fetchval(f"SELECT count(*) FROM im_account_article x JOIN cnt_article c ON c.id = x.article"
                              f" WHERE {where}", *args)
    rows = await db.fetch(
        f"SELECT c.id, c.title, c.summary, x.pushed_at, x.edited_at, col.name AS column_name,"
        f" (SELECT max(ph.id) FROM cnt_photo ph WHERE ph.parent_kind = 'article' AND ph.parent_id = c.id)"
        f" AS cover_photo_id"
        f" FROM im_account_article x JOIN cnt_article c ON c.id = x.article"
        f" LEFT JOIN im_account_column col ON col.id = x.account_column WHERE {where}"
        f" ORDER BY x.pushed_at DESC, c.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *args)
    for row in rows:
        photo = row["cover_photo_id"]
        row["cover_thumb_url"] = f"/media/content/photos/{photo}/thumb" if photo else ""
    return Page(rows, total, req.page, req.per_page)


# --- videos ---------------------------------------------------------------------------------------------

async def media_of(article_id: int) -> list[dict]:
    rows = await db.fetch("SELECT id, article, name, size, content_type FROM im_account_media WHERE article = $1"
                          " ORDER BY sort, id", article_id)
    for row in rows:
        row["url"] = f"/h5/im/accounts/media/{row['id']}"
    return rows


async def _video_max_mb() -> float:
    try:
        value = float(await settings_store.get("im.file_max_mb", DEFAULT_VIDEO_MAX_MB) or DEFAULT_VIDEO_MAX_MB)
    except (TypeError, ValueError):
        value = DEFAULT_VIDEO_MAX_MB
    return max(1.0, min(value, VIDEO_MAX_MB))


async def add_video(actor: Actor, account_id: int, article_id: int, filename: str, chunks) -> int:
    """Stream a video (.mp4 / .mov, sniffed) into storage and place it in the article (after its text)."""
    await article_row(account_id, article_id)
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in uploads.VIDEO_TYPES:
        raise Invalid("video", _("Choose an .mp4 or .mov video."))
    if await db.fetchval("SELECT count(*) FROM im_account_media WHERE article = $1", article_id) >= MEDIA_MAX:
        raise Invalid("video", _("At most %(n)s videos.", n=MEDIA_MAX))
    stored = await uploads.save_stream(filename, chunks, max_mb=await _video_max_mb(), field="video",
                                       prefix="im-accounts/")
    if not stored.content_type.startswith("video/"):
        storage().delete(stored.key)
        raise Invalid("video", _("Choose an .mp4 or .mov video."))
    async with db.transaction():
        media_id = await db.fetchval(
            "INSERT INTO im_account_media (article, key, name, size, content_type, sort, created_by)"
            " VALUES ($1, $2, $3, $4, $5, (SELECT count(*) FROM im_account_media WHERE article = $1), $6)"
            " RETURNING id", article_id, stored.key, stored.name, stored.size, stored.content_type, actor.id)
        await _edited(article_id)
        await audit.record(actor, "create", "im_account_media", media_id,
                           after={"article": article_id, "name": stored.name, "size": stored.size},
                           summary=stored.name)
    return media_id


async def remove_video(actor: Actor, account_id: int, article_id: int, media_id: int) -> None:
    await article_row(account_id, article_id)
    async with db.transaction():
        row = await db.fetchrow("DELETE FROM im_account_media WHERE id = $1 AND article = $2 RETURNING key, name",
                                media_id, article_id)
        if row is None:
            raise NotFound()
        await _edited(article_id)
        await audit.record(actor, "delete", "im_account_media", media_id,
                           before={"article": article_id, "name": row["name"]}, summary=row["name"])
    storage().delete(row["key"])


async def _edited(article_id: int) -> None:
    await db.execute("UPDATE im_account_article SET edited_at = now() WHERE article = $1 AND pushed_at IS NOT NULL",
                     article_id)


async def video_file(viewer: Actor | None, media_id: int) -> dict | None:
    """The stored video for a viewer: anyone logged in once the article is pushed (account active), the desk
    always."""
    row = await db.fetchrow(
        "SELECT m.key, m.name, m.content_type, c.status, x.pushed_at, a.status AS account_status"
        " FROM im_account_media m JOIN im_account_article x ON x.article = m.article"
        " JOIN cnt_article c ON c.id = m.article JOIN im_account a ON a.id = x.account WHERE m.id = $1", media_id)
    if row is None:
        return None
    if _runs(viewer) or (row["status"] == "published" and row["pushed_at"] and row["account_status"] == "active"):
        return row
    return None


# --- comments -------------------------------------------------------------------------------------------

async def article_comments(account_id: int, article_id: int) -> list[dict]:
    """Every comment under the article for the desk (pending, published, rejected), oldest first."""
    await article_row(account_id, article_id)
    return await db.fetch("SELECT m.id, m.body, m.status, m.created_at, m.author, u.name AS author_name"
                          " FROM cnt_comment m LEFT JOIN app_user u ON u.id = m.author"
                          " WHERE m.target_kind = 'article' AND m.target_id = $1 AND m.status <> 'deleted'"
                          " ORDER BY m.created_at, m.id", article_id)


async def delete_comment(actor: Actor, account_id: int, article_id: int, comment_id: int) -> None:
    """A moderator deletes a comment (content's delete_comment) and the commenter is told."""
    article = await article_row(account_id, article_id)
    row = await db.fetchrow("SELECT author FROM cnt_comment WHERE id = $1 AND target_kind = 'article'"
                            " AND target_id = $2 AND status <> 'deleted'", comment_id, article_id)
    if row is None:
        raise NotFound()
    async with db.transaction():
        await content.delete_comment(actor, comment_id)
        if row["author"] and row["author"] != actor.id:
            account = await get(account_id)
            await notify.notify([row["author"]], COMMENT_DELETED, {"account": account["name"],
                                                                   "title": article["title"]},
                                channels=("inbox",), url=f"/h5/im/accounts/{account_id}/articles/{article_id}")

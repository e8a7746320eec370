"""News / CMS articles (ORG-05): a sanitised rich body, a cover, attachments, headline / recommend / pin,
draft → published (or pending, when the owner moderates articles or sensitive words were found)."""
from __future__ import annotations

from app.content import compliance, images, moderation, owners, remote_images
from app.content.owners import FIRST_PAGE, NotFound, Owner
from app.content.sanitizer import neutralised, plain_text, sanitize_rich_html
from app.core import audit, db, uploads
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

STATUSES = ("draft", "pending", "published", "rejected")
FLAGS = ("headline", "recommend", "pin")
TITLE_MAX, SUMMARY_MAX = 200, 500
BODY_MAX = 5 * 1024 * 1024  # imported Word images are embedded: allow a few MB of HTML
MAX_ATTACHMENTS = 10
SUMMARY_AUTO = 120
OFFICE_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}

COLUMNS = ("a.id, a.owner_kind, a.owner_id, a.title, a.summary, a.status, a.headline, a.recommend, a.pin,"
           " a.published_at, a.created_at, a.updated_at, a.author, a.flagged_words, a.reject_reason,"
           " a.source_article, a.view_count, u.name AS author_name,"
           " (SELECT max(ph.id) FROM cnt_photo ph WHERE ph.parent_kind = 'article' AND ph.parent_id = a.id)"
           " AS cover_photo_id,"
           " (SELECT count(*) FROM cnt_attachment t WHERE t.article = a.id) AS attachment_count")


def _shape(row: dict) -> dict:
    row["owner"] = (row["owner_kind"], row["owner_id"])
    photo = row.get("cover_photo_id")
    row["cover_url"] = f"/media/content/photos/{photo}/display" if photo else ""
    row["cover_thumb_url"] = f"/media/content/photos/{photo}/thumb" if photo else ""
    row["url"] = f"/h5/news/{row['id']}" if row["owner_kind"] == "hq" else ""
    return row


def _clean(title: str | None, summary: str | None, body_html: str | None) -> dict:
    out: dict = {}
    if title is not None:
        title = title.strip()
        if not title:
            raise Invalid("title", _("This field is required."))
        if len(title) > TITLE_MAX:
            raise Invalid("title", _("At most %(n)s characters.", n=TITLE_MAX))
        out["title"] = title
    if body_html is not None:
        if len(body_html) > BODY_MAX:
            raise Invalid("body_html", _("The text is too long (at most %(n)s MB).", n=BODY_MAX // 1024 // 1024))
        out["body_html"] = sanitize_rich_html(body_html)
        out["body_text"] = plain_text(out["body_html"])
    if summary is not None:
        summary = summary.strip()
        if len(summary) > SUMMARY_MAX:
            raise Invalid("summary", _("At most %(n)s characters.", n=SUMMARY_MAX))
        out["summary"] = summary
    return out


async def _check_files(actor: Actor, where: str, cover: tuple[str, bytes] | None, attachments) -> None:
    """Refuse a bad cover or attachment before anything is stored (a refused cover is audited)."""
    if cover:
        await compliance.audited_check_image(actor, where, cover[0], cover[1], field="cover")
    if len(attachments) > MAX_ATTACHMENTS:
        raise Invalid("attachments", _("At most %(n)s attachments.", n=MAX_ATTACHMENTS))


async def _store_files(actor: Actor, article_id: int, owner: Owner, cover, attachments) -> None:
    stored = [await uploads.save(name, data, field="attachments") for name, data in attachments]
    for sort, f in enumerate(stored):
        content_type = OFFICE_TYPES.get(f.key.rsplit(".", 1)[-1], f.content_type)
        await db.execute("INSERT INTO cnt_attachment (article, key, name, size, content_type, sort)"
                         " VALUES ($1, $2, $3, $4, $5, $6)", article_id, f.key, f.name, f.size, content_type, sort)
    if cover:
        image = images.store(cover[0], cover[1], field="cover")
        await db.execute(
            "INSERT INTO cnt_photo (owner_kind, owner_id, parent_kind, parent_id, status, author, display_key,"
            " thumb_key, mime, width, height, size, original_name, created_by, updated_by)"
            " VALUES ($1, $2, 'article', $3, 'published', $4, $5, $6, $7, $8, $9, $10, $11, $4, $4)",
            owner[0], owner[1], article_id, actor.id, image.display_key, image.thumb_key, image.mime, image.width,
            image.height, image.size, cover[0][-200:])


async def _check_attachment_types(attachments) -> None:
    for name, data in attachments:
        await uploads.check(name, data, field="attachments")


def _screen_text(fields: dict) -> str:
    return " ".join(str(fields.get(k) or "") for k in ("title", "summary", "body_text"))


async def create_article(actor: Actor, owner: Owner, *, title: str, body_html: str, summary: str = "",
                         cover: tuple[str, bytes] | None = None, attachments=(), status: str = "draft") -> int:
    """A new article; status "draft" or "published" (→ "pending" when it must be moderated first)."""
    owner = owners.as_owner(owner)
    await owners.require(owners.can_post, actor, owner)
    if status not in ("draft", "published"):
        raise Invalid("status", _("Choose from the list."))
    fields = _clean(title, summary, body_html)
    attachments = list(attachments or ())
    await _check_files(actor, f"{owner[0]}:{owner[1]}", cover, attachments)
    await _check_attachment_types(attachments)
    words = await compliance.screen(_screen_text(fields), "body_html") if status == "published" else []
    if not fields["summary"]:
        fields["summary"] = plain_text(fields["body_html"], SUMMARY_AUTO)
    async with db.transaction():
        if status == "published":
            status = await moderation.initial_status(actor, owner, "article", words)
        article_id = await db.fetchval(
            "INSERT INTO cnt_article (owner_kind, owner_id, title, summary, body_html, body_text, status,"
            " flagged_words, author, published_at, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::varchar, $8, $9,"
            " CASE WHEN $7::varchar = 'published' THEN now() END, $9, $9)"
            " RETURNING id", owner[0], owner[1], fields["title"], fields["summary"], fields["body_html"],
            fields["body_text"], status, words, actor.id)
        await _store_files(actor, article_id, owner, cover, attachments)
        await remote_images.enqueue_for(article_id, fields["body_html"])
        await audit.record(actor, "create", "cnt_article", article_id, after={
            "owner": f"{owner[0]}:{owner[1]}", "title": fields["title"], "status": status, "flagged_words": words,
            "attachments": [name for name, _data in attachments],
            **({"neutralised": found} if (found := neutralised(body_html)) else {})}, summary=fields["title"])
    return article_id


async def _row(article_id: int, lock: bool = False) -> dict:
    row = await db.fetchrow("SELECT * FROM cnt_article WHERE id = $1" + (" FOR UPDATE" if lock else ""), article_id)
    if row is None:
        raise NotFound()
    return row


async def _editable(actor: Actor, article_id: int) -> dict:
    row = await _row(article_id, lock=True)
    await owners.require(owners.can_post, actor, (row["owner_kind"], row["owner_id"]))
    return row


async def _remove_photo_files(rows: list[dict]) -> None:
    """Delete the files of removed photo rows that no other row still uses (an accepted copy shares them)."""
    for row in rows:
        if not await db.fetchval("SELECT 1 FROM cnt_photo WHERE display_key = $1", row["display_key"]):
            images.remove(row["display_key"], row["thumb_key"])


async def update_article(actor: Actor, article_id: int, *, title: str | None = None, summary: str | None = None,
                         body_html: str | None = None, cover: tuple[str, bytes] | None = None,
                         remove_cover: bool = False, attachments=(), remove_attachments=()) -> str:
    """Change an article; returns its status. A published article edited by someone who may not publish
    unmoderated (or now holding sensitive words) goes back to the queue; a rejected one becomes a draft."""
    attachments = list(attachments or ())
    fields = _clean(title, summary, body_html)
    await _check_files(actor, f"cnt_article:{article_id}", cover, attachments)
    await _check_attachment_types(attachments)
    removed_photos: list[dict] = []
    async with db.transaction():
        before = await _editable(actor, article_id)
        owner = (before["owner_kind"], before["owner_id"])
        count = await db.fetchval("SELECT count(*) FROM cnt_attachment WHERE article = $1", article_id)
        if count - len(list(remove_attachments)) + len(attachments) > MAX_ATTACHMENTS:
            raise Invalid("attachments", _("At most %(n)s attachments.", n=MAX_ATTACHMENTS))
        merged = {**before, **fields}
        status, words = before["status"], before["flagged_words"]
        if before["status"] in ("published", "pending"):
            words = await compliance.screen(_screen_text(merged), "body_html")
            status = await moderation.initial_status(actor, owner, "article", words)
        elif before["status"] == "rejected":
            status, words = "draft", []
        await db.execute(
            "UPDATE cnt_article SET title = $2, summary = $3, body_html = $4, body_text = $5, status = $6::varchar,"
            " flagged_words = $7, published_at = CASE WHEN $6::varchar = 'published' THEN COALESCE(published_at, now())"
            " ELSE published_at END, updated_at = now(), updated_by = $8 WHERE id = $1",
            article_id, merged["title"], merged["summary"], merged["body_html"], merged["body_text"], status, words,
            actor.id)
        if remove_attachments:
            await db.execute("DELETE FROM cnt_attachment WHERE article = $1 AND id = ANY($2::bigint[])", article_id,
                             [int(i) for i in remove_attachments])
        if cover or remove_cover:
            removed_photos = await db.fetch("DELETE FROM cnt_photo WHERE parent_kind = 'article' AND parent_id = $1"
                                            " RETURNING display_key, thumb_key", article_id)
        await _store_files(actor, article_id, owner, cover, attachments)
        if "body_html" in fields:
            await remote_images.enqueue_for(article_id, fields["body_html"])
        changed = audit.changed({k: before[k] for k in fields}, fields)
        await audit.record(actor, "update", "cnt_article", article_id,
                           before={k: before[k] for k in changed if k != "body_text"} | {"status": before["status"]},
                           after={k: fields[k] for k in changed if k != "body_text"} | {"status": status}
                           | ({"neutralised": found} if (found := neutralised(body_html or "")) else {}),
                           summary=merged["title"])
    await _remove_photo_files(removed_photos)
    return status


async def publish(actor: Actor, article_id: int) -> str:
    """Draft or rejected → published, or pending when it must be moderated first. Returns the new status."""
    async with db.transaction():
        row = await _editable(actor, article_id)
        if row["status"] in ("published", "pending"):
            return row["status"]
        owner = (row["owner_kind"], row["owner_id"])
        words = await compliance.screen(_screen_text(row), "body_html")
        status = await moderation.initial_status(actor, owner, "article", words)
        await db.execute("UPDATE cnt_article SET status = $2::varchar, flagged_words = $3, reject_reason = '',"
                         " published_at = CASE WHEN $2::varchar = 'published' THEN COALESCE(published_at, now()) END,"
                         " updated_at = now(), updated_by = $4 WHERE id = $1", article_id, status, words, actor.id)
        await audit.record(actor, "publish", "cnt_article", article_id, before={"status": row["status"]},
                           after={"status": status, "flagged_words": words}, summary=row["title"])
    return status


async def unpublish(actor: Actor, article_id: int) -> None:
    async with db.transaction():
        row = await _editable(actor, article_id)
        if row["status"] not in ("published", "pending"):
            raise Conflict(_("The article is not published."))
        await db.execute("UPDATE cnt_article SET status = 'draft', updated_at = now(), updated_by = $2 WHERE id = $1",
                         article_id, actor.id)
        await audit.record(actor, "unpublish", "cnt_article", article_id, before={"status": row["status"]},
                           after={"status": "draft"}, summary=row["title"])


async def set_flags(actor: Actor, article_id: int, *, headline: bool | None = None, recommend: bool | None = None,
                    pin: bool | None = None) -> None:
    """头条 / 推荐 / 置顶: None leaves a flag as it is."""
    wanted = {k: bool(v) for k, v in (("headline", headline), ("recommend", recommend), ("pin", pin))
              if v is not None}
    if not wanted:
        return
    async with db.transaction():
        row = await _editable(actor, article_id)
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(wanted, 3))
        await db.execute(f"UPDATE cnt_article SET {sets}, updated_at = now(), updated_by = $2 WHERE id = $1",
                         article_id, actor.id, *wanted.values())
        await audit.record(actor, "flags", "cnt_article", article_id, before={k: row[k] for k in wanted},
                           after=wanted, summary=row["title"])


async def delete_article(actor: Actor, article_id: int) -> None:
    async with db.transaction():
        row = await _editable(actor, article_id)
        photos = await db.fetch("DELETE FROM cnt_photo WHERE parent_kind IN ('article', 'article_body')"
                                " AND parent_id = $1 RETURNING display_key, thumb_key", article_id)
        await db.execute("DELETE FROM cnt_comment WHERE target_kind = 'article' AND target_id = $1", article_id)
        await db.execute("DELETE FROM cnt_article WHERE id = $1", article_id)
        await audit.record(actor, "delete", "cnt_article", article_id, before={
            "owner": f"{row['owner_kind']}:{row['owner_id']}", "title": row["title"], "status": row["status"]},
            summary=row["title"])
    await _remove_photo_files(photos)


async def get_article(article_id: int) -> dict:
    """The article with its body, cover and attachments (no visibility check: the caller's page decides)."""
    row = await db.fetchrow(f"SELECT {COLUMNS}, a.body_html, a.body_text FROM cnt_article a"
                            f" LEFT JOIN app_user u ON u.id = a.author WHERE a.id = $1", article_id)
    if row is None:
        raise NotFound()
    row["attachments"] = [
        {**a, "url": f"/media/content/attachments/{a['id']}"}
        for a in await db.fetch("SELECT id, name, size, content_type FROM cnt_attachment WHERE article = $1"
                                " ORDER BY sort, id", article_id)]
    row["source"] = None
    if row["source_article"]:
        source = await db.fetchrow("SELECT id, owner_kind, owner_id, title FROM cnt_article WHERE id = $1",
                                   row["source_article"])
        if source and source["owner_kind"] in owners.kinds():
            source["owner_name"] = await owners.owner_name((source["owner_kind"], source["owner_id"]))
        row["source"] = source
    return _shape(row)


async def list_articles(owner: Owner, *, status: str | None = None, flag: str | None = None, q: str = "",
                        req: PageRequest = FIRST_PAGE) -> Page:
    """An owner's articles: pinned first, then newest. status / flag / a search text narrow the list."""
    owner = owners.as_owner(owner)
    args: list = [owner[0], owner[1]]
    where = "a.owner_kind = $1 AND a.owner_id = $2"
    if status:
        if status not in STATUSES:
            return Page([], 0, req.page, req.per_page)
        args.append(status)
        where += f" AND a.status = ${len(args)}"
    if flag in FLAGS:
        where += f" AND a.{flag}"
    if q and q.strip():
        args.append("%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        where += f" AND (a.title ILIKE ${len(args)} OR a.body_text ILIKE ${len(args)})"
    total = await db.fetchval(f"SELECT count(*) FROM cnt_article a WHERE {where}", *args)
    rows = await db.fetch(f"SELECT {COLUMNS} FROM cnt_article a LEFT JOIN app_user u ON u.id = a.author"
                          f" WHERE {where} ORDER BY a.pin DESC, COALESCE(a.published_at, a.created_at) DESC, a.id DESC"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_shape(r) for r in rows], total, req.page, req.per_page)


async def record_view(article_id: int) -> None:
    await db.execute("UPDATE cnt_article SET view_count = view_count + 1 WHERE id = $1 AND status = 'published'",
                     article_id)


async def status_counts(owner: Owner) -> dict[str, int]:
    owner = owners.as_owner(owner)
    rows = await db.fetch("SELECT status, count(*) AS n FROM cnt_article WHERE owner_kind = $1 AND owner_id = $2"
                          " GROUP BY status", owner[0], owner[1])
    return {r["status"]: r["n"] for r in rows}

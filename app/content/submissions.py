"""Article submissions (ORG-05 投稿): an org offers one of its articles to another owner — today HQ, ("hq", 0).
The submission waits at the target with a todo for its editors (the permission the target kind registered);
accepting publishes a copy there (cover and attachments shared, a link back to the original), declining tells
the submitter why."""
from __future__ import annotations

from app.content import owners, remote_images
from app.content.owners import FIRST_PAGE, NotAllowed, NotFound, Owner
from app.core import audit, db, notify, todos
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest

TODO_KIND = "content.submission"
STATUSES = ("pending", "accepted", "declined")

notify.DEFAULT_TEMPLATES.setdefault("content_submission_accepted", (L("Article submission accepted"), {
    "inbox": (L("Submission accepted: {{ title }}"),
              L("Your article \"{{ title }}\" submitted to {{ target }} was accepted and published there.")),
}))
notify.DEFAULT_TEMPLATES.setdefault("content_submission_declined", (L("Article submission declined"), {
    "inbox": (L("Submission declined: {{ title }}"),
              L("Your article \"{{ title }}\" submitted to {{ target }} was declined.\nReason: {{ reason }}")),
}))


def _ref(submission_id: int) -> str:
    return f"cnt_submission:{submission_id}"


async def submit_to(actor: Actor, article_id: int, target_owner: Owner) -> int:
    """Offer an article to `target_owner`; returns the submission id."""
    target = owners.as_owner(target_owner)
    hooks = owners.owner_kind(target[0])
    if not hooks.submission_permission:
        raise Invalid("target", _("Articles cannot be submitted to %(owner)s.", owner=str(hooks.label)))
    async with db.transaction():
        article = await db.fetchrow("SELECT * FROM cnt_article WHERE id = $1 FOR UPDATE", article_id)
        if article is None:
            raise NotFound()
        source = (article["owner_kind"], article["owner_id"])
        await owners.require(owners.can_post, actor, source)
        if source == target:
            raise Invalid("target", _("An article cannot be submitted to its own owner."))
        if article["status"] in ("draft", "rejected"):
            raise Invalid("target", _("Publish the article before submitting it."))
        if await db.fetchval("SELECT 1 FROM cnt_submission WHERE article = $1 AND target_kind = $2"
                             " AND target_id = $3 AND status = 'pending'", article_id, *target):
            raise Conflict(_("This article is already waiting there."))
        submission_id = await db.fetchval(
            "INSERT INTO cnt_submission (article, target_kind, target_id, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $4) RETURNING id", article_id, target[0], target[1], actor.id)
        source_name = await owners.owner_name(source)
        url = "/admin/content/hq/submissions" if target[0] == "hq" else await owners.owner_url(target)
        await todos.open_todo(TODO_KIND, _ref(submission_id), _("Article submitted by %(owner)s: %(title)s",
                                                                 owner=source_name, title=article["title"])[:200],
                              url, hooks.submission_permission)
        await audit.record(actor, "submit", "cnt_submission", submission_id, after={
            "article": article_id, "from": f"{source[0]}:{source[1]}", "to": f"{target[0]}:{target[1]}"},
            summary=article["title"])
    return submission_id


async def _pending(actor: Actor, submission_id: int) -> dict:
    row = await db.fetchrow("SELECT s.*, a.title, a.owner_kind, a.owner_id FROM cnt_submission s"
                            " JOIN cnt_article a ON a.id = s.article WHERE s.id = $1 FOR UPDATE OF s", submission_id)
    if row is None:
        raise NotFound()
    if not await owners.can_post(actor, (row["target_kind"], row["target_id"])):
        raise NotAllowed()
    if row["status"] != "pending":
        raise Conflict(_("This submission was already decided."))
    return row


async def _tell_submitter(row: dict, template: str, reason: str = "") -> None:
    if row["created_by"]:
        target_name = await owners.owner_name((row["target_kind"], row["target_id"]))
        await notify.notify([row["created_by"]], template, {"title": row["title"], "target": target_name,
                                                            "reason": reason})


async def accept_submission(actor: Actor, submission_id: int) -> int:
    """Publish a copy of the submitted article at the target; returns the copy's id."""
    async with db.transaction():
        row = await _pending(actor, submission_id)
        copy_id = await db.fetchval(
            "INSERT INTO cnt_article (owner_kind, owner_id, title, summary, body_html, body_text, status, author,"
            " published_at, source_article, created_by, updated_by)"
            " SELECT $2, $3, title, summary, body_html, body_text, 'published', author, now(), id, $4, $4"
            " FROM cnt_article WHERE id = $1 RETURNING id", row["article"], row["target_kind"], row["target_id"],
            actor.id)
        await db.execute("INSERT INTO cnt_attachment (article, key, name, size, content_type, sort)"
                         " SELECT $2, key, name, size, content_type, sort FROM cnt_attachment WHERE article = $1",
                         row["article"], copy_id)
        await db.execute(
            "INSERT INTO cnt_photo (owner_kind, owner_id, parent_kind, parent_id, status, author, display_key,"
            " thumb_key, mime, width, height, size, original_name, created_by, updated_by)"
            " SELECT $3, $4, 'article', $2, 'published', author, display_key, thumb_key, mime, width, height, size,"
            " original_name, $5, $5 FROM cnt_photo WHERE parent_kind = 'article' AND parent_id = $1",
            row["article"], copy_id, row["target_kind"], row["target_id"], actor.id)
        await remote_images.copy_to(row["article"], copy_id)
        await db.execute("UPDATE cnt_submission SET status = 'accepted', result_article = $2, decided_by = $3,"
                         " decided_at = now(), updated_at = now(), updated_by = $3 WHERE id = $1",
                         submission_id, copy_id, actor.id)
        await todos.close_todo(_ref(submission_id), actor.id)
        await audit.record(actor, "accept", "cnt_submission", submission_id, before={"status": "pending"},
                           after={"status": "accepted", "article": copy_id}, summary=row["title"])
        await _tell_submitter(row, "content_submission_accepted")
    return copy_id


async def decline_submission(actor: Actor, submission_id: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give a reason: the submitter is shown it."))
    if len(reason) > 500:
        raise Invalid("reason", _("At most %(n)s characters.", n=500))
    async with db.transaction():
        row = await _pending(actor, submission_id)
        await db.execute("UPDATE cnt_submission SET status = 'declined', reason = $2, decided_by = $3,"
                         " decided_at = now(), updated_at = now(), updated_by = $3 WHERE id = $1",
                         submission_id, reason, actor.id)
        await todos.close_todo(_ref(submission_id), actor.id)
        await audit.record(actor, "decline", "cnt_submission", submission_id, before={"status": "pending"},
                           after={"status": "declined", "reason": reason}, summary=row["title"])
        await _tell_submitter(row, "content_submission_declined", reason)


async def list_submissions(target_owner: Owner, *, status: str = "pending", req: PageRequest = FIRST_PAGE) -> Page:
    """Submissions to an owner (newest first) with the article's title, summary and source owner."""
    target = owners.as_owner(target_owner)
    status = status if status in STATUSES else "pending"
    where = "s.target_kind = $1 AND s.target_id = $2 AND s.status = $3"
    args = [target[0], target[1], status]
    total = await db.fetchval(f"SELECT count(*) FROM cnt_submission s WHERE {where}", *args)
    rows = await db.fetch(
        f"SELECT s.id, s.article, s.status, s.reason, s.result_article, s.created_at, s.decided_at, a.title,"
        f" a.summary, a.owner_kind, a.owner_id, u.name AS submitter_name FROM cnt_submission s"
        f" JOIN cnt_article a ON a.id = s.article LEFT JOIN app_user u ON u.id = s.created_by WHERE {where}"
        f" ORDER BY s.created_at DESC, s.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *args)
    for row in rows:
        source = (row["owner_kind"], row["owner_id"])
        row["owner_name"] = await owners.owner_name(source) if source[0] in owners.kinds() else str(source)
    return Page(rows, total, req.page, req.per_page)


async def get_submission(submission_id: int) -> dict:
    row = await db.fetchrow("SELECT s.*, a.title, a.owner_kind, a.owner_id FROM cnt_submission s"
                            " JOIN cnt_article a ON a.id = s.article WHERE s.id = $1", submission_id)
    if row is None:
        raise NotFound()
    row["owner_name"] = await owners.owner_name((row["owner_kind"], row["owner_id"]))
    return row


async def submissions_of(article_id: int) -> list[dict]:
    """Where an article was submitted and what became of it (the source owner's article page)."""
    rows = await db.fetch("SELECT id, target_kind, target_id, status, reason, result_article, created_at, decided_at"
                          " FROM cnt_submission WHERE article = $1 ORDER BY id DESC", article_id)
    for row in rows:
        row["target_name"] = await owners.owner_name((row["target_kind"], row["target_id"]))
    return rows

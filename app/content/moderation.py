"""Moderation (CLS-04, ORG-06, ORG-09): per-owner settings, the status a new item starts in, the queue of
pending items of the owners an actor moderates, approve and reject (the author is told through the message
service).

A new item from someone who cannot moderate its owner waits ("pending") when the owner's setting for that item
kind is on (the default); a moderator's own items are published at once. Sensitive words found by the
compliance check send any item to the queue with the words listed (or refuse it: compliance.sensitive_action).
"""
from __future__ import annotations

from app.content import owners
from app.content.owners import FIRST_PAGE, NotAllowed, NotFound, Owner
from app.core import audit, db, notify
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest

TABLES = {"article": "cnt_article", "post": "cnt_post", "album": "cnt_album", "photo": "cnt_photo",
          "comment": "cnt_comment"}
ITEM_LABELS = {"article": L("Article"), "post": L("Post"), "album": L("Album"), "photo": L("Photo"),
               "comment": L("Comment")}
SETTING_KINDS = {"article", "album", "photo", "comment"}  # plus every post kind (story, post, message …)
REASON_MAX = 500

notify.DEFAULT_TEMPLATES.setdefault("content_approved", (L("Content approved"), {
    "inbox": (L("Published: {{ title }}"), L("Your {{ what }} \"{{ title }}\" was approved and is now published.")),
}))
notify.DEFAULT_TEMPLATES.setdefault("content_rejected", (L("Content rejected"), {
    "inbox": (L("Not published: {{ title }}"),
              L("Your {{ what }} \"{{ title }}\" was not published.\nReason: {{ reason }}")),
}))


def _setting_kind(kind: str) -> str:
    kind = (kind or "").strip().lower()
    if not kind or len(kind) > 16 or not kind.replace("_", "").isalnum():
        raise Invalid("kind", _("Unknown item kind %(kind)s.", kind=kind))
    return kind


async def moderation_on(owner: Owner, kind: str) -> bool:
    """Whether new items of `kind` from non-moderators wait for approval at this owner (default: yes)."""
    owner = owners.as_owner(owner)
    value = await db.fetchval("SELECT moderation FROM cnt_setting WHERE owner_kind = $1 AND owner_id = $2"
                              " AND item_kind = $3", owner[0], owner[1], _setting_kind(kind))
    return True if value is None else bool(value)


async def settings_of(owner: Owner, kinds: list[str]) -> dict[str, bool]:
    return {kind: await moderation_on(owner, kind) for kind in kinds}


async def set_moderation(actor: Actor, owner: Owner, kind: str, on: bool) -> None:
    owner = owners.as_owner(owner)
    await owners.require(owners.can_moderate, actor, owner)
    kind = _setting_kind(kind)
    async with db.transaction():
        before = await moderation_on(owner, kind)
        await db.execute(
            "INSERT INTO cnt_setting (owner_kind, owner_id, item_kind, moderation, created_by, updated_by)"
            " VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (owner_kind, owner_id, item_kind)"
            " DO UPDATE SET moderation = EXCLUDED.moderation, updated_at = now(), updated_by = EXCLUDED.updated_by",
            owner[0], owner[1], kind, bool(on), actor.id)
        await audit.record(actor, "update", "cnt_setting", f"{owner[0]}:{owner[1]}:{kind}",
                           before={"moderation": before}, after={"moderation": bool(on)},
                           summary=f"{owner[0]}:{owner[1]} {kind}")


async def initial_status(actor: Actor, owner: Owner, kind: str, words: list[str]) -> str:
    """"pending" or "published" for a new (or newly published) item of `kind` by `actor`."""
    if words:
        return "pending"
    if await owners.can_moderate(actor, owner):
        return "published"
    return "pending" if await moderation_on(owner, kind) else "published"


def owner_filter(moderated: dict[str, list[int] | None], args: list) -> str:
    """WHERE fragment over owner_kind/owner_id for {kind: ids or None (all)}; parameters appended to args."""
    parts = []
    for kind, ids in moderated.items():
        args.append(kind)
        if ids is None:
            parts.append(f"owner_kind = ${len(args)}")
        else:
            args.append(ids)
            parts.append(f"(owner_kind = ${len(args) - 1} AND owner_id = ANY(${len(args)}::bigint[]))")
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def visible_sql(viewer: Actor | None, args: list, moderator: bool = False, alias: str = "") -> str:
    """Rows a viewer sees in a list: published ones, their own pending ones; moderators every pending one.
    `alias` prefixes the columns ("p." for `cnt_post p`)."""
    if moderator:
        return f"{alias}status IN ('published', 'pending')"
    if viewer is None or viewer.id is None:
        return f"{alias}status = 'published'"
    args.append(viewer.id)
    return f"({alias}status = 'published' OR ({alias}status = 'pending' AND {alias}author = ${len(args)}))"


_QUEUE_COLUMNS = ("item_kind", "id", "owner_kind", "owner_id", "sub_kind", "title", "excerpt", "author", "created_at",
                  "flagged_words", "photo_id", "target_kind", "target_id")
_QUEUE_PARTS = {  # each kind's pending rows in the queue's columns (above), from its own table
    "article": ("'article'", "id", "owner_kind", "owner_id", "''", "title", "left(body_text, 200)", "author",
                "created_at", "flagged_words", "NULL::bigint", "NULL::varchar", "NULL::bigint", "cnt_article"),
    "post": ("'post'", "id", "owner_kind", "owner_id", "kind", "title", "left(body, 200)", "author", "created_at",
             "flagged_words", "(SELECT min(ph.id) FROM cnt_photo ph WHERE ph.parent_kind = 'post'"
             " AND ph.parent_id = cnt_post.id)", "NULL::varchar", "NULL::bigint", "cnt_post"),
    "album": ("'album'", "id", "owner_kind", "owner_id", "''", "title", "left(description, 200)", "author",
              "created_at", "flagged_words", "NULL::bigint", "NULL::varchar", "NULL::bigint", "cnt_album"),
    "photo": ("'photo'", "id", "owner_kind", "owner_id", "''", "caption", "original_name", "author", "created_at",
              "flagged_words", "id", "'album'::varchar", "parent_id", "cnt_photo"),
    "comment": ("'comment'", "id", "owner_kind", "owner_id", "''", "''", "left(body, 200)", "author", "created_at",
                "flagged_words", "NULL::bigint", "target_kind", "target_id", "cnt_comment"),
}


def _select(parts: tuple[str, ...]) -> str:
    columns = ", ".join(f"{expr} AS {name}" for expr, name in zip(parts[:-1], _QUEUE_COLUMNS, strict=True))
    return f"SELECT {columns} FROM {parts[-1]}"


_QUEUE = {kind: _select(parts) for kind, parts in _QUEUE_PARTS.items()}


async def _queue_sql(actor: Actor, kind: str | None, args: list) -> str | None:
    moderated = await owners.moderated(actor)
    if not moderated:
        return None
    where = owner_filter(moderated, args)
    kinds = [kind] if kind in _QUEUE else list(_QUEUE)
    parts = []
    for k in kinds:
        extra = " AND parent_kind = 'album'" if k == "photo" else ""
        parts.append(f"{_QUEUE[k]} WHERE status = 'pending'{extra} AND {where}")
    return " UNION ALL ".join(parts)


async def queue(actor: Actor, *, kind: str | None = None, req: PageRequest = FIRST_PAGE) -> Page:
    """Pending items of every owner the actor moderates, oldest first; kind narrows to one item kind."""
    args: list = []
    union = await _queue_sql(actor, kind, args)
    if union is None:
        return Page([], 0, req.page, req.per_page)
    total = await db.fetchval(f"SELECT count(*) FROM ({union}) q", *args)
    rows = await db.fetch(f"SELECT q.*, u.name AS author_name, u.username AS author_username FROM ({union}) q"
                          f" LEFT JOIN app_user u ON u.id = q.author ORDER BY q.created_at, q.id"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    names: dict[tuple, str] = {}
    for row in rows:
        owner = (row["owner_kind"], row["owner_id"])
        if owner not in names:
            names[owner] = await owners.owner_name(owner) if owner[0] in owners.kinds() else str(owner)
        row["owner_name"] = names[owner]
        row["label"] = ITEM_LABELS[row["item_kind"]]
        row["thumb_url"] = f"/media/content/photos/{row['photo_id']}/thumb" if row["photo_id"] else ""
    return Page(rows, total, req.page, req.per_page)


async def counts(actor: Actor) -> dict[str, int]:
    """Pending items per kind (and "all") for the actor's queue."""
    args: list = []
    union = await _queue_sql(actor, None, args)
    if union is None:
        return {"all": 0}
    rows = await db.fetch(f"SELECT item_kind, count(*) AS n FROM ({union}) q GROUP BY item_kind", *args)
    out = {r["item_kind"]: r["n"] for r in rows}
    out["all"] = sum(out.values())
    return out


async def _locked(item_kind: str, item_id: int) -> dict:
    if item_kind not in TABLES:
        raise NotFound()
    row = await db.fetchrow(f"SELECT * FROM {TABLES[item_kind]} WHERE id = $1 FOR UPDATE", item_id)
    if row is None or (item_kind == "photo" and row["parent_kind"] != "album"):
        raise NotFound()
    return row


def _title(item_kind: str, row: dict) -> str:
    text = row.get("title") or row.get("caption") or row.get("body") or row.get("original_name") or ""
    return text if len(text) <= 40 else text[:39] + "…"


async def _tell_author(actor: Actor, item_kind: str, row: dict, template: str, reason: str = "") -> None:
    if not row.get("author") or row["author"] == actor.id:
        return
    owner = (row["owner_kind"], row["owner_id"])
    url = await owners.owner_url(owner) if owner[0] in owners.kinds() else ""
    await notify.notify([row["author"]], template, {"title": _title(item_kind, row),
                                                    "what": str(ITEM_LABELS[item_kind]).lower(), "reason": reason},
                        url=url)


async def _decide(actor: Actor, item_kind: str, item_id: int, status: str, reason: str = "") -> dict:
    row = await _locked(item_kind, item_id)
    if not await owners.can_moderate(actor, (row["owner_kind"], row["owner_id"])):
        raise NotAllowed()
    if row["status"] != "pending":
        raise Conflict(_("This item is no longer waiting for moderation."))
    table = TABLES[item_kind]
    await db.execute(f"UPDATE {table} SET status = $2, reject_reason = $3, moderated_by = $4, moderated_at = now(),"
                     f" updated_at = now(), updated_by = $4 WHERE id = $1", item_id, status, reason, actor.id)
    if item_kind == "article" and status == "published":
        await db.execute("UPDATE cnt_article SET published_at = COALESCE(published_at, now()) WHERE id = $1", item_id)
    if item_kind == "post":  # a post's pictures follow it
        await db.execute("UPDATE cnt_photo SET status = $2 WHERE parent_kind = 'post' AND parent_id = $1"
                         " AND status = 'pending'", item_id, status)
    if item_kind == "photo" and status == "published":
        await db.execute("UPDATE cnt_album SET cover_photo = $2 WHERE id = $1 AND cover_photo IS NULL",
                         row["parent_id"], item_id)
    await audit.record(actor, "approve" if status == "published" else "reject", table, item_id,
                       before={"status": "pending"}, after={"status": status, "reason": reason} if reason else
                       {"status": status}, summary=_title(item_kind, row))
    return row


async def approve(actor: Actor, item_kind: str, item_id: int) -> None:
    async with db.transaction():
        row = await _decide(actor, item_kind, item_id, "published")
        await _tell_author(actor, item_kind, row, "content_approved")


async def reject(actor: Actor, item_kind: str, item_id: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason", _("Give a reason: the author is shown it."))
    if len(reason) > REASON_MAX:
        raise Invalid("reason", _("At most %(n)s characters.", n=REASON_MAX))
    async with db.transaction():
        row = await _decide(actor, item_kind, item_id, "rejected", reason)
        await _tell_author(actor, item_kind, row, "content_rejected", reason)


async def item_for_decision(actor: Actor, item_kind: str, item_id: int) -> dict:
    """A pending item as the queue shows it (for the reject confirmation page)."""
    if item_kind not in _QUEUE:
        raise NotFound()
    args: list = []
    union = await _queue_sql(actor, item_kind, args)
    if union is None:
        raise NotFound()
    args.append(item_id)
    row = await db.fetchrow(f"SELECT q.*, u.name AS author_name FROM ({union}) q LEFT JOIN app_user u"
                            f" ON u.id = q.author WHERE q.id = ${len(args)}", *args)
    if row is None:
        raise NotFound()
    row["label"] = ITEM_LABELS[item_kind]
    row["owner_name"] = await owners.owner_name((row["owner_kind"], row["owner_id"]))
    return row

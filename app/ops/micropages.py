"""Micro-pages (OPS-06, SMS-12): a phone page (微页面: a holiday greeting, a meeting notice) built from ordered blocks
— sanitised rich text, an uploaded image with alt text, a video (an uploaded mp4 or an https address), a button
(http(s) or a site path, never javascript:) and an embedded open survey — published at /h5/p/{slug}, optionally
bound to the alumni home (/h5) as a button. Drafts are seen only by page managers. Every write is audited."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from app.content import api as content
from app.core import audit, db, settings_store, uploads
from app.core.audit import Actor
from app.core.forms import Conflict, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.storage import storage
from app.ops import access, custom_forms, surveys
from app.ops.access import NotFound

MANAGE = "ops.page.manage"
STATUSES = {"draft": L("Draft page"), "published": L("Published page")}
KINDS = {"text": L("Text block"), "image": L("Image block"), "video": L("Video block"),
         "button": L("Button block"), "form": L("Embedded form block")}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
TITLE_MAX, SUMMARY_MAX, LABEL_MAX, ALT_MAX, URL_MAX = 200, 300, 60, 200, 1000
MAX_BLOCKS = 100
VIDEO_TYPE = "video/mp4"


@dataclass(frozen=True)
class MediaFile:
    data: bytes
    content_type: str
    etag: str
    public: bool = True  # False for a draft's files (a preview): not kept by shared caches


def _require(actor: Actor | None) -> None:
    if actor is None or not actor.can(MANAGE):
        raise access.NotAllowed()


def _data(row: dict) -> dict:
    raw = row.get("data")
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


# --- pages -------------------------------------------------------------------------------------------------

async def get_page(page_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM ops_page WHERE id = $1", page_id)
    if row is None:
        raise NotFound()
    row["status_label"] = str(STATUSES[row["status"]])
    return row


async def list_pages(actor: Actor, q: str, request: PageRequest) -> Page:
    _require(actor)
    pattern = f"%{q.strip()}%" if q and q.strip() else None
    where = "WHERE ($1::text IS NULL OR title ILIKE $1 OR slug ILIKE $1)"
    total = await db.fetchval(f"SELECT count(*) FROM ops_page {where}", pattern)
    rows = await db.fetch(
        f"SELECT p.*, (SELECT count(*) FROM ops_page_block b WHERE b.page = p.id) AS blocks FROM ops_page p {where}"
        " ORDER BY p.id DESC LIMIT $2 OFFSET $3", pattern, request.per_page, request.offset)
    for row in rows:
        row["status_label"] = str(STATUSES[row["status"]])
    return Page(rows, total, request.page, request.per_page)


def _clean_page(values: dict) -> dict:
    title = (values.get("title") or "").strip()
    if not title:
        raise Invalid("title", _("This field is required."))
    if len(title) > TITLE_MAX:
        raise Invalid("title", _("At most %(n)s characters.", n=TITLE_MAX))
    slug = (values.get("slug") or "").strip().lower()
    if slug and not SLUG_RE.match(slug):
        raise Invalid("slug", _("Use lower-case letters, digits and hyphens (at most 80)."))
    try:
        home_sort = int(values.get("home_sort") or 50)
    except (TypeError, ValueError):
        raise Invalid("home_sort", _("Enter a whole number.")) from None
    return {"title": title, "slug": slug or secrets.token_hex(4),
            "share_title": (values.get("share_title") or "").strip()[:TITLE_MAX],
            "share_summary": (values.get("share_summary") or "").strip()[:SUMMARY_MAX],
            "on_home": bool(values.get("on_home")), "home_sort": max(0, min(home_sort, 9999))}


async def _slug_free(slug: str, own_id: int | None = None) -> None:
    if await db.fetchval("SELECT 1 FROM ops_page WHERE slug = $1 AND id IS DISTINCT FROM $2", slug, own_id):
        raise Invalid("slug", _("Another page already uses this address."))


async def _save_image(image: tuple[str, bytes] | None, field: str) -> str:
    return (await uploads.save(image[0], image[1], images_only=True, field=field)).key if image else ""


async def create_page(actor: Actor, values: dict, cover: tuple[str, bytes] | None = None) -> int:
    _require(actor)
    fields = _clean_page(values)
    await _slug_free(fields["slug"])
    cover_key = await _save_image(cover, "cover")
    async with db.transaction():
        page_id = await db.fetchval(
            "INSERT INTO ops_page (title, slug, share_title, share_summary, cover_key, on_home, home_sort,"
            " created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            fields["title"], fields["slug"], fields["share_title"], fields["share_summary"], cover_key,
            fields["on_home"], fields["home_sort"], actor.id)
        await audit.record(actor, "create", "ops_page", page_id, after=fields, summary=fields["title"])
    return page_id


async def update_page(actor: Actor, page_id: int, values: dict, cover: tuple[str, bytes] | None = None) -> None:
    _require(actor)
    before = await get_page(page_id)
    fields = _clean_page({**values, "slug": values.get("slug") or before["slug"]})
    await _slug_free(fields["slug"], page_id)
    cover_key = await _save_image(cover, "cover") or before["cover_key"]
    async with db.transaction():
        await db.execute(
            "UPDATE ops_page SET title = $2, slug = $3, share_title = $4, share_summary = $5, cover_key = $6,"
            " on_home = $7, home_sort = $8, updated_at = now(), updated_by = $9 WHERE id = $1", page_id,
            fields["title"], fields["slug"], fields["share_title"], fields["share_summary"], cover_key,
            fields["on_home"], fields["home_sort"], actor.id)
        await audit.record(actor, "update", "ops_page", page_id, before={k: before[k] for k in fields},
                           after=fields, summary=fields["title"])


async def set_status(actor: Actor, page_id: int, status: str) -> None:
    """Publish ("published") or take back to a draft ("draft")."""
    _require(actor)
    page = await get_page(page_id)
    if status not in STATUSES or page["status"] == status:
        raise Conflict(_("That is not possible now."))
    if status == "published" and not await db.fetchval("SELECT 1 FROM ops_page_block WHERE page = $1", page_id):
        raise Conflict(_("Add at least one block before publishing the page."))
    async with db.transaction():
        await db.execute("UPDATE ops_page SET status = $2::text, published_at = CASE WHEN $2::text = 'published'"
                         " THEN now() ELSE published_at END, updated_at = now(), updated_by = $3 WHERE id = $1",
                         page_id, status, actor.id)
        await audit.record(actor, "publish" if status == "published" else "unpublish", "ops_page", page_id,
                           before={"status": page["status"]}, after={"status": status}, summary=page["title"])


async def delete_page(actor: Actor, page_id: int) -> None:
    _require(actor)
    page = await get_page(page_id)
    async with db.transaction():
        await db.execute("DELETE FROM ops_page WHERE id = $1", page_id)
        await audit.record(actor, "delete", "ops_page", page_id, before={"title": page["title"],
                                                                         "slug": page["slug"]},
                           summary=page["title"])


# --- blocks ------------------------------------------------------------------------------------------------

async def blocks(page_id: int) -> list[dict]:
    rows = await db.fetch("SELECT * FROM ops_page_block WHERE page = $1 ORDER BY sort, id", page_id)
    for row in rows:
        row["data"] = _data(row)
        row["kind_label"] = str(KINDS.get(row["kind"], row["kind"]))
    return rows


async def survey_choices() -> list[tuple[str, str]]:
    """The open surveys a form block may embed."""
    rows = await db.fetch("SELECT id, title FROM ops_survey WHERE status = 'open' ORDER BY id DESC LIMIT 200")
    return [(str(r["id"]), r["title"]) for r in rows]


def _safe_link(url: str) -> bool:
    """http(s) addresses with a host, or a path on this site; never javascript:, data: or //elsewhere."""
    if not url or len(url) > URL_MAX or any(ord(c) < 0x21 or c == "\\" for c in url):
        return False
    if url.startswith("/"):
        return not url.startswith("//")
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_mp4(data: bytes) -> bool:
    return len(data) > 12 and data[4:8] == b"ftyp"


async def _save_video(video: tuple[str, bytes]) -> dict:
    filename, data = video
    max_mb = float(await settings_store.get("upload.max_mb"))
    if not data:
        raise Invalid("video", _("The file is empty."))
    if len(data) > max_mb * 1024 * 1024:
        raise Invalid("video", _("The file is larger than %(mb)s MB.", mb=max_mb))
    if not filename.lower().endswith(".mp4") or not _is_mp4(data):
        raise Invalid("video", _("Upload an MP4 video file."))
    key = f"{date.today():%Y/%m}/{secrets.token_urlsafe(16)}.mp4"
    storage().put(key, data)
    return {"key": key, "name": filename[-200:], "size": len(data)}


async def _clean_block(kind: str, values: dict, upload: tuple[str, bytes] | None, old: dict) -> dict:
    """The block's data for its kind, or Invalid(field, message) naming the field the editor shows."""
    if kind == "text":
        html = content.sanitize_rich_html(values.get("html") or "")
        if not re.sub(r"<[^>]+>|&nbsp;|\s", "", html) and "<img" not in html:
            raise Invalid("html", _("Write the text of this block."))
        return {"html": html}
    if kind == "image":
        alt = (values.get("alt") or "").strip()
        if not alt:
            raise Invalid("alt", _("Describe the image for people who cannot see it."))
        if upload:
            stored = await uploads.save(upload[0], upload[1], images_only=True, field="image")
            return {"key": stored.key, "name": stored.name, "alt": alt[:ALT_MAX]}
        if not old.get("key"):
            raise Invalid("image", _("Choose an image (PNG, JPEG or GIF)."))
        return {**old, "alt": alt[:ALT_MAX]}
    if kind == "video":
        url = (values.get("video_url") or "").strip()
        if upload:
            return await _save_video(upload)
        if url:
            if not url.startswith("https://") or not _safe_link(url):
                raise Invalid("video_url", _("Enter an https:// address of the video."))
            return {"url": url}
        if old.get("key") or old.get("url"):
            return old
        raise Invalid("video", _("Upload an MP4 video or enter its https:// address."))
    if kind == "button":
        label = (values.get("label") or "").strip()
        url = (values.get("url") or "").strip()
        if not label:
            raise Invalid("label", _("This field is required."))
        if len(label) > LABEL_MAX:
            raise Invalid("label", _("At most %(n)s characters.", n=LABEL_MAX))
        if not _safe_link(url):
            raise Invalid("url", _("Enter an http:// or https:// address, or a site path starting with /."))
        return {"label": label, "url": url}
    if kind == "form":
        try:
            survey_id = int(values.get("survey") or 0)
        except (TypeError, ValueError):
            survey_id = 0
        status = await db.fetchval("SELECT status FROM ops_survey WHERE id = $1", survey_id) if survey_id else None
        if status != "open":
            raise Invalid("survey", _("Choose a survey that is open for answers."))
        return {"survey": survey_id}
    raise Invalid("kind", _("Choose from the list."))


async def _block(page_id: int, block_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM ops_page_block WHERE id = $1 AND page = $2", block_id, page_id)
    if row is None:
        raise NotFound()
    row["data"] = _data(row)
    return row


async def add_block(actor: Actor, page_id: int, kind: str, values: dict,
                    upload: tuple[str, bytes] | None = None) -> int:
    _require(actor)
    page = await get_page(page_id)
    if kind not in KINDS:
        raise Invalid("kind", _("Choose from the list."))
    data = await _clean_block(kind, values, upload, {})
    async with db.transaction():
        await db.execute("SELECT 1 FROM ops_page WHERE id = $1 FOR UPDATE", page_id)  # one sort number at a time
        count, last = await _count_last(page_id)
        if count >= MAX_BLOCKS:
            raise Conflict(_("A page holds at most %(n)s blocks.", n=MAX_BLOCKS))
        block_id = await db.fetchval(
            "INSERT INTO ops_page_block (page, sort, kind, data, created_by, updated_by) VALUES ($1, $2, $3,"
            " $4::jsonb, $5, $5) RETURNING id", page_id, last + 1, kind, json.dumps(data, ensure_ascii=False),
            actor.id)
        await audit.record(actor, "create", "ops_page_block", block_id, after={"page": page_id, "kind": kind, **data},
                           summary=page["title"])
    return block_id


async def _count_last(page_id: int) -> tuple[int, int]:
    row = await db.fetchrow("SELECT count(*) AS n, coalesce(max(sort), 0) AS last FROM ops_page_block"
                            " WHERE page = $1", page_id)
    return row["n"], row["last"]


async def update_block(actor: Actor, page_id: int, block_id: int, values: dict,
                       upload: tuple[str, bytes] | None = None) -> None:
    _require(actor)
    page = await get_page(page_id)
    block = await _block(page_id, block_id)
    data = await _clean_block(block["kind"], values, upload, block["data"])
    async with db.transaction():
        await db.execute("UPDATE ops_page_block SET data = $2::jsonb, updated_at = now(), updated_by = $3"
                         " WHERE id = $1", block_id, json.dumps(data, ensure_ascii=False), actor.id)
        await audit.record(actor, "update", "ops_page_block", block_id, before=block["data"], after=data,
                           summary=page["title"])


async def move_block(actor: Actor, page_id: int, block_id: int, step: int) -> None:
    """Move a block one place up (step -1) or down (+1); at either end nothing changes."""
    _require(actor)
    page = await get_page(page_id)
    await _block(page_id, block_id)
    async with db.transaction():
        await db.execute("SELECT 1 FROM ops_page WHERE id = $1 FOR UPDATE", page_id)
        ids = [r["id"] for r in await db.fetch("SELECT id FROM ops_page_block WHERE page = $1 ORDER BY sort, id",
                                               page_id)]
        at = ids.index(block_id)
        to = at + (1 if step > 0 else -1)
        if not 0 <= to < len(ids):
            return
        ids[at], ids[to] = ids[to], ids[at]
        await db.execute("UPDATE ops_page_block b SET sort = o.n FROM unnest($1::bigint[]) WITH ORDINALITY"
                         " AS o(id, n) WHERE b.id = o.id", ids)
        await audit.record(actor, "reorder", "ops_page", page_id, after={"order": ids}, summary=page["title"])


async def delete_block(actor: Actor, page_id: int, block_id: int) -> None:
    _require(actor)
    page = await get_page(page_id)
    block = await _block(page_id, block_id)
    async with db.transaction():
        await db.execute("DELETE FROM ops_page_block WHERE id = $1", block_id)
        await audit.record(actor, "delete", "ops_page_block", block_id,
                           before={"page": page_id, "kind": block["kind"], **block["data"]}, summary=page["title"])


# --- the phone page ----------------------------------------------------------------------------------------

async def _visible(viewer: Actor | None, slug: str) -> dict:
    row = await db.fetchrow("SELECT * FROM ops_page WHERE slug = $1", slug)
    if row is None or (row["status"] != "published" and not (viewer is not None and viewer.can(MANAGE))):
        raise NotFound()
    return row


async def view(viewer: Actor, slug: str) -> dict:
    """The page as its readers see it: published pages for everyone, drafts only for page managers (a preview).
    Form blocks carry their survey, its questions as a form, and whether this reader may still answer."""
    page = await _visible(viewer, slug)
    items = await blocks(page["id"])
    survey_ids = sorted({b["data"].get("survey") for b in items if b["kind"] == "form"})
    found = {r["id"]: r for r in await db.fetch("SELECT * FROM ops_survey WHERE id = ANY($1::bigint[])",
                                                survey_ids)} if survey_ids else {}
    for block in items:
        if block["kind"] != "form":
            continue
        survey = found.get(block["data"].get("survey"))
        block["survey"] = survey
        if survey is None:
            continue
        questions = await custom_forms.questions(survey["form"])
        block["questions"] = questions
        block["form"] = Form(custom_forms.core_fields(questions))
        block["done"] = bool(survey["once"]) and await surveys.answered(viewer.id, survey)
        block["login_needed"] = not survey["public"] and viewer.id is None
    return {"page": page, "blocks": items, "preview": page["status"] != "published"}


async def media(viewer: Actor, slug: str, block_id: int | None) -> MediaFile:
    """An image or video of a block (or the page's cover when block_id is None), readable like the page."""
    page = await _visible(viewer, slug)
    if block_id is None:
        key = page["cover_key"]
    else:
        block = await db.fetchrow("SELECT data FROM ops_page_block WHERE id = $1 AND page = $2", block_id, page["id"])
        key = _data(block).get("key", "") if block else ""
    if not key or not storage().exists(key):
        raise NotFound()
    data = storage().get(key)
    ext = key.rsplit(".", 1)[-1]
    content_type = VIDEO_TYPE if ext == "mp4" else next(
        (ct for magic, exts, ct in uploads.SIGNATURES if ext in exts and data.startswith(magic)), "")
    if not content_type:
        raise NotFound()
    return MediaFile(data, content_type, f'"{key.rsplit("/", 1)[-1]}"', page["status"] == "published")


async def home_pages() -> list[dict]:
    """Published pages bound to the alumni home, in their order."""
    return await db.fetch("SELECT title, slug, home_sort FROM ops_page WHERE on_home AND status = 'published'"
                          " ORDER BY home_sort, id LIMIT 20")

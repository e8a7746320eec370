"""Images and files in the messenger (IM-01, IM-02, IM-11). An upload is streamed into storage under `im/` with
its content sniffed (core uploads.save_stream: an .exe renamed .jpg is refused) and the size limit enforced on
the way: `im.image_max_mb` (10) for png/jpg/gif, `im.file_max_mb` (100, at most 1,024) for the other types site
settings allow (`upload.types`). A refusal is audited. The message is then sent by messages.send_attachment
(`attachment` = key, name, size, type). Downloads check membership like every messenger read; the files of a
conversation are listed newest first. Retention (IM-11): `purge` (daily job "im.files.purge") deletes stored
files older than `im.file_retention_days` (180; 0 keeps them) and marks the message's attachment expired."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

from app.core import audit, db, settings_store, uploads
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.pagination import Page, PageRequest
from app.core.storage import storage
from app.im import conversations, messages

DEFAULT_FILE_MAX_MB = 100
MAX_FILE_MB = 1024  # the seed's 1 GB; the upload route's body limit follows it
DEFAULT_IMAGE_MAX_MB = 10
DEFAULT_RETENTION_DAYS = 180
BATCH = 500
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf", "video/mp4", "video/quicktime"}
PREFIX = "im/"


async def _number(key: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(await settings_store.get(key, default))))
    except (TypeError, ValueError):
        return default


async def limits() -> tuple[int, int]:
    """(file limit, image limit) in MB; an image is never allowed more than a file."""
    file_mb = await _number("im.file_max_mb", DEFAULT_FILE_MAX_MB, 1, MAX_FILE_MB)
    return file_mb, min(file_mb, await _number("im.image_max_mb", DEFAULT_IMAGE_MAX_MB, 1, MAX_FILE_MB))


async def retention_days() -> int:
    return await _number("im.file_retention_days", DEFAULT_RETENTION_DAYS, 0, 100 * 365)


def _is_image(filename: str) -> bool:
    return "." in filename and filename.rsplit(".", 1)[-1].lower() in uploads.IMAGE_TYPES


async def store(actor: Actor, conversation: int, filename: str, chunks: AsyncIterator[bytes]) -> dict:
    """Check membership (before a byte is stored), then stream the upload into storage; returns the attachment.
    A refused file (type, content, size) is audited and raises Invalid("file")."""
    await conversations.require_member(actor, conversation)
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    file_mb, image_mb = await limits()
    max_mb = image_mb if _is_image(filename) else file_mb
    try:
        stored = await uploads.save_stream(filename, chunks, max_mb=max_mb, field="file", prefix=PREFIX)
    except Invalid as exc:
        await audit.record(actor, "refused", "im_message", conversation,
                           summary=f"file refused: {filename[:100]}: {exc.message}", after={"limit_mb": max_mb})
        raise
    return {"key": stored.key, "name": stored.name, "size": stored.size, "type": stored.content_type}


async def send_file(actor: Actor, conversation: int, filename: str, chunks: AsyncIterator[bytes], *, text: str = "",
                    client_ref: str | None = None, signoff: bool = False) -> int:
    """A file posted from the chat form, with what was typed beside it: the text is checked first (nothing is
    stored for a form that would be refused anyway), the file stored, then the text and the file are sent as
    two messages (the file's form key gets a suffix, so a re-posted form still makes each once)."""
    if text.strip():
        try:
            messages.check_text(text)
        except Invalid:
            await audit.record(actor, "refused", "im_message", conversation, summary="invalid text")
            raise
    attachment = await store(actor, conversation, filename, chunks)
    if text.strip():
        await messages.send(actor, conversation, text, client_ref=client_ref, kind="signoff" if signoff else "text")
    kind = "image" if attachment["type"].startswith("image/") else "file"
    return await messages.send_attachment(actor, conversation, kind, attachment,
                                          client_ref=f"{client_ref[:60]}:f" if client_ref else None)


async def for_download(actor: Actor, message_id: int) -> dict | None:
    """The attachment of a message the actor may read (NotMember otherwise, audited); None when there is no file
    (a text, recalled, expired, or the file is gone)."""
    row = await db.fetchrow("SELECT conversation, kind, attachment FROM im_message WHERE id = $1", message_id)
    if row is None:
        await audit.record(actor, "refused", "im_message", message_id, summary="file: no such message")
        raise conversations.NotMember()
    await conversations.require_member(actor, row["conversation"])
    found = _attachment(row["attachment"])
    if row["kind"] not in ("image", "file") or not found.get("key") or not storage().exists(found["key"]):
        return None
    found["inline"] = found.get("type") in INLINE_TYPES
    return found


def _attachment(value) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


async def files_page(conversation: int, request: PageRequest) -> Page:
    """The conversation's images and files, newest first (recalled ones are gone; expired ones say so)."""
    where = ("FROM im_message x LEFT JOIN app_user u ON u.id = x.sender WHERE x.conversation = $1"
             " AND x.kind IN ('image', 'file') AND x.recalled_at IS NULL")
    total = await db.fetchval(f"SELECT count(*) {where}", conversation)
    rows = await db.fetch(
        "SELECT x.id, x.kind, x.created_at, x.attachment->>'name' AS file_name,"
        " (x.attachment->>'size')::bigint AS file_size, x.attachment->>'type' AS file_type,"
        " x.attachment ? 'expired' AS file_expired, coalesce(nullif(u.name, ''), u.username, '') AS sender_name"
        f" {where} ORDER BY x.id DESC LIMIT $2 OFFSET $3", conversation, request.per_page, request.offset)
    return Page(rows, total, request.page, request.per_page)


async def purge() -> dict:
    """Stored files of messages older than the retention period: the file goes first, then the attachment loses
    its key and says when it expired — a run cut short is finished by the next, a second run finds nothing."""
    days = await retention_days()
    if days <= 0:
        return {"removed": 0, "days": 0}
    done = 0
    while rows := await db.fetch(
            "SELECT id, attachment->>'key' AS key FROM im_message WHERE attachment ? 'key'"
            " AND created_at < now() - make_interval(days => $1) ORDER BY created_at, id LIMIT $2", days, BATCH):
        for row in rows:
            storage().delete(row["key"])
        await db.execute("UPDATE im_message SET attachment = (attachment - 'key')"
                         " || jsonb_build_object('expired', to_char(now(), 'YYYY-MM-DD'))"
                         " WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        done += len(rows)
    if done:
        await audit.record(SYSTEM, "purge", "im_message", "", summary=f"{done} files older than {days} days deleted",
                           after={"files": done, "days": days})
    return {"removed": done, "days": days}

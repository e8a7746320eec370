"""Upload checks (NFR-06): size and type limits from site settings, content sniffed (an .exe renamed
.jpg is refused), random storage names; files are served only through a signed, expiring URL."""
from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from app.core import settings_store
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.security import sign, unsign
from app.core.storage import TooLarge, storage

# magic bytes → extensions they may carry
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", {"png"}, "image/png"),
    (b"\xff\xd8\xff", {"jpg", "jpeg"}, "image/jpeg"),
    (b"GIF87a", {"gif"}, "image/gif"),
    (b"GIF89a", {"gif"}, "image/gif"),
    (b"%PDF-", {"pdf"}, "application/pdf"),
    (b"PK\x03\x04", {"xlsx", "docx", "pptx", "zip"}, "application/zip"),
]
TEXT_TYPES = {"csv": "text/csv", "txt": "text/plain"}
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif"}
URL_MAX_AGE = 3600
VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime"}  # ISO media: "ftyp" at byte 4 (streamed uploads)
STREAM_CHUNK = 256 * 1024


@dataclass(frozen=True)
class StoredFile:
    key: str
    name: str
    size: int
    content_type: str

    @property
    def url(self) -> str:
        return f"/files/{sign('file', self.key)}"


def _sniff(data: bytes, ext: str) -> str | None:
    for magic, exts, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type if ext in exts else None
    if ext in TEXT_TYPES:
        try:
            data[:4096].decode("utf-8")
        except UnicodeDecodeError:
            try:
                data[:4096].decode("gb18030")
            except UnicodeDecodeError:
                return None
        return TEXT_TYPES[ext]
    return None


async def check(filename: str, data: bytes, *, images_only: bool = False, field: str = "file") -> str:
    """Validate name, size and content; returns the content type or raises Invalid(field, message)."""
    max_mb = float(await settings_store.get("upload.max_mb"))
    allowed = {t.strip().lower() for t in str(await settings_store.get("upload.types")).split(",") if t.strip()}
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if images_only:
        allowed &= IMAGE_TYPES
    if not data:
        raise Invalid(field, _("The file is empty."))
    if len(data) > max_mb * 1024 * 1024:
        raise Invalid(field, _("The file is larger than %(mb)s MB.", mb=max_mb))
    if ext not in allowed:
        raise Invalid(field, _("Files of type .%(ext)s are not accepted. Allowed: %(types)s.", ext=ext or "?",
                               types=", ".join(sorted(allowed))))
    content_type = _sniff(data, ext)
    if content_type is None:
        raise Invalid(field, _("The file's content does not match its .%(ext)s name.", ext=ext))
    return content_type


async def save(filename: str, data: bytes, *, images_only: bool = False, field: str = "file") -> StoredFile:
    content_type = await check(filename, data, images_only=images_only, field=field)
    ext = filename.rsplit(".", 1)[-1].lower()
    key = f"{date.today():%Y/%m}/{secrets.token_urlsafe(16)}.{ext}"
    storage().put(key, data)
    return StoredFile(key, filename[-200:], len(data), content_type)


async def _allowed_types(images_only: bool) -> set[str]:
    allowed = {t.strip().lower() for t in str(await settings_store.get("upload.types")).split(",") if t.strip()}
    return allowed & IMAGE_TYPES if images_only else allowed


def _sniff_head(head: bytes, ext: str) -> str | None:
    if ext in VIDEO_TYPES and head[4:8] == b"ftyp":
        return VIDEO_TYPES[ext]
    return _sniff(head, ext)


async def upload_chunks(upload, size: int = STREAM_CHUNK) -> AsyncIterator[bytes]:
    """The chunks of a Litestar `UploadFile` (anything with an async `read(n)`). Litestar parses a multipart body
    from the request stream into a SpooledTemporaryFile per file — kept in memory up to 1 MB, rolled to a temp
    file on disk above that — so a large upload is never held in memory; this reads it back in `size` pieces."""
    while chunk := await upload.read(size):
        yield chunk


async def save_stream(filename: str, chunks: AsyncIterator[bytes], *, max_mb: float, images_only: bool = False,
                      field: str = "file", prefix: str = "") -> StoredFile:
    """`save` for large files: the name and the sniffed first bytes are checked before anything is stored, then
    the chunks are written to storage as they come and the size limit (`max_mb`, the caller's setting) is
    enforced on the way — a file over it is removed and refused with Invalid(field) naming the limit."""
    allowed = await _allowed_types(images_only)
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in allowed:
        raise Invalid(field, _("Files of type .%(ext)s are not accepted. Allowed: %(types)s.", ext=ext or "?",
                               types=", ".join(sorted(allowed))))
    iterator = aiter(chunks)
    head = b""
    async for chunk in iterator:  # enough of the start to sniff (the text check reads 4 KB)
        head += chunk
        if len(head) >= 4096:
            break
    if not head:
        raise Invalid(field, _("The file is empty."))
    content_type = _sniff_head(head, ext)
    if content_type is None:
        raise Invalid(field, _("The file's content does not match its .%(ext)s name.", ext=ext))

    async def everything() -> AsyncIterator[bytes]:
        yield head
        async for rest in iterator:
            yield rest

    key = f"{prefix}{date.today():%Y/%m}/{secrets.token_urlsafe(16)}.{ext}"
    try:
        size = await storage().put_stream(key, everything(), int(max_mb * 1024 * 1024))
    except TooLarge:
        raise Invalid(field, _("The file is larger than %(mb)s MB.", mb=max_mb)) from None
    return StoredFile(key, filename[-200:], size, content_type)


def key_from_url_token(token: str) -> str:
    """Raises TokenInvalid/TokenExpired for forged or stale links."""
    return unsign("file", token, URL_MAX_AGE * 24)

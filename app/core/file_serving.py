"""Serving stored files over HTTP with byte ranges (phone video players seek; downloads resume): ETag and
If-None-Match (304), Accept-Ranges, one `bytes=a-b` / `bytes=a-` / `bytes=-n` range → 206 + Content-Range, an
unsatisfiable one → 416, If-Range honoured. `file_response` streams from `storage().open(key)` in chunks, so a
1 GB file never sits in memory; `data_response` is the same answer for bytes a caller already holds.
Multi-range requests (`bytes=0-1,5-6`) get the whole file, which RFC 9110 allows."""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable

from litestar import Request, Response
from litestar.response import Stream

from app.core.exports import content_disposition
from app.core.storage import storage

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024
PRIVATE = "private, max-age=3600"


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(start, end) inclusive for a satisfiable single range, None when there is none to honour (absent,
    malformed, several), False when it cannot be satisfied (416)."""
    match = RANGE_RE.match((header or "").strip())
    if not match or not (match.group(1) or match.group(2)):
        return None
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    else:  # the last n bytes
        if int(match.group(2)) == 0:
            return False
        start, end = max(0, size - int(match.group(2))), size - 1
    if start >= size or start > end:
        return False
    return start, end


def disposition(name: str, inline: bool) -> str:
    value = content_disposition(name or "download")
    return "inline" + value[len("attachment"):] if inline else value


Body = Callable[[int, int, int, dict], Response]  # (start, end, status, headers) → the answer


def _respond(request: Request, size: int, body: Body, *, name: str, content_type: str, inline: bool, etag: str,
             cache: str) -> Response:
    headers = {"Cache-Control": cache, "ETag": etag, "Accept-Ranges": "bytes",
               "Content-Disposition": disposition(name, inline)}  # nosniff: app-wide (main.SECURITY_HEADERS)
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(b"", status_code=304, headers=headers)
    wanted = request.headers.get("range", "")
    if_range = request.headers.get("if-range")
    if wanted and (if_range is None or if_range.strip() == etag):
        found = parse_range(wanted, size)
        if found is False:
            return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        if found:
            start, end = found
            return body(start, end, 206, {**headers, "Content-Range": f"bytes {start}-{end}/{size}"})
    return body(0, size - 1, 200, headers)


async def _chunks(key: str, start: int, end: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(storage().open, key)
    try:
        await asyncio.to_thread(handle.seek, start)
        left = end - start + 1
        while left > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def file_response(request: Request, key: str, name: str, content_type: str, *, inline: bool,
                  cache: str = PRIVATE, etag: str | None = None) -> Response:
    """The stored file `key` (which must exist) as a download (`inline=False`) or shown in the browser. Keys
    are random and never rewritten, so the default ETag (last part of the key + size) is stable."""
    size = storage().size(key)
    tag = etag or f'"{key.rsplit("/", 1)[-1]}-{size}"'

    def body(start: int, end: int, status: int, headers: dict) -> Response:
        if end < start:  # an empty file
            return Response(b"", status_code=status, media_type=content_type, headers=headers)
        return Stream(_chunks(key, start, end), status_code=status, media_type=content_type,
                      headers={**headers, "content-length": str(end - start + 1)})

    return _respond(request, size, body, name=name, content_type=content_type, inline=inline, etag=tag,
                    cache=cache)


def data_response(request: Request, data: bytes, name: str, content_type: str, *, inline: bool, etag: str,
                  cache: str = PRIVATE) -> Response:
    """The same answer for bytes already in memory (small files a service returns whole)."""
    def body(start: int, end: int, status: int, headers: dict) -> Response:
        return Response(data[start:end + 1], status_code=status, media_type=content_type, headers=headers)

    return _respond(request, len(data), body, name=name, content_type=content_type, inline=inline, etag=etag,
                    cache=cache)

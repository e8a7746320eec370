"""Content files (ORG-06, ORG-05): photos in two sizes and article attachments, each checked against the owner's
can_view hook and the item's state (app/content/media.py), with caching headers and ETags."""
from __future__ import annotations

from litestar import Request, Response, get

from app.content import media
from app.content.routes import http_errors
from app.core.exports import content_disposition
from app.core.web import actor

INLINE_TYPES = ("image/", "application/pdf")


def _response(request: Request, found: media.MediaFile, disposition: str = "inline") -> Response:
    headers = {"Cache-Control": found.cache_control, "ETag": found.etag, "Content-Disposition": disposition}
    if request.headers.get("if-none-match") == found.etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(found.data, media_type=found.content_type, headers=headers)


@get("/media/content/photos/{photo_id:int}/{size:str}")
async def photo(request: Request, photo_id: int, size: str) -> Response:
    with http_errors():
        found = await media.photo_file(actor(request), photo_id, size)
    return _response(request, found)


@get("/media/content/attachments/{attachment_id:int}")
async def attachment(request: Request, attachment_id: int) -> Response:
    with http_errors():
        found = await media.attachment_file(actor(request), attachment_id)
    inline = found.content_type.startswith(INLINE_TYPES)
    disposition = content_disposition(found.filename)
    return _response(request, found, disposition.replace("attachment", "inline", 1) if inline else disposition)


ROUTES = [photo, attachment]

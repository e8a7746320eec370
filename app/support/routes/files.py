"""Serving stored uploads through signed links (the token names the file; logged-in users only), streamed from
storage with byte ranges (app.core.file_serving)."""
from litestar import Request, Response, get

from app.core.file_serving import file_response
from app.core.permissions import login_required
from app.core.security import TokenExpired, TokenInvalid
from app.core.storage import storage
from app.core.uploads import SIGNATURES, TEXT_TYPES, key_from_url_token


@get("/files/{token:str}", guards=[login_required])
async def stored_file(request: Request, token: str) -> Response:
    try:
        key = key_from_url_token(token)
    except (TokenInvalid, TokenExpired):
        return Response("", status_code=404)
    files = storage()
    if not files.exists(key):
        return Response("", status_code=404)
    with files.open(key) as handle:
        head = handle.read(16)
    ext = key.rsplit(".", 1)[-1]
    content_type = next((ct for magic, exts, ct in SIGNATURES if ext in exts and head.startswith(magic)),
                        TEXT_TYPES.get(ext, "application/octet-stream"))
    return file_response(request, key, key.rsplit("/", 1)[-1], content_type, inline=True)


ROUTES = [stored_file]

"""Serving stored uploads through signed links (the token names the file; logged-in users only)."""
from litestar import Request, Response, get

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
    if not storage().exists(key):
        return Response("", status_code=404)
    data = storage().get(key)
    ext = key.rsplit(".", 1)[-1]
    content_type = next((ct for magic, exts, ct in SIGNATURES if ext in exts and data.startswith(magic)),
                        TEXT_TYPES.get(ext, "application/octet-stream"))
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600",
                                                            "Content-Disposition": "inline"})


ROUTES = [stored_file]

"""The phone page of a micro-page (OPS-06): /h5/p/{slug}, readable without an account once published, with its
WeChat share card; drafts answer 404 except to page managers (a preview). Its images and videos are served here,
readable like the page (videos answer byte ranges, as phone players ask for them: app.core.file_serving).
No JS needed."""
from __future__ import annotations

from litestar import Request, Response, get

from app.core.file_serving import data_response
from app.core.urls import absolute
from app.core.web import actor, render
from app.ops import micropages
from app.ops.routes import service_errors


@get("/h5/p/{slug:str}")
async def page_view(request: Request, slug: str) -> Response:
    with service_errors():
        shown = await micropages.view(actor(request), slug)
    page = shown["page"]
    cover = absolute(f"/h5/p/{page['slug']}/cover") if page["cover_key"] else None
    context = {"share_title": page["share_title"] or page["title"],
               "share_description": page["share_summary"] or page["title"]}
    if cover:
        context["share_image"] = cover
    return await render(request, "ops/h5/page.html", page=page, blocks=shown["blocks"], preview=shown["preview"],
                        **context)


def _media_response(request: Request, found: micropages.MediaFile) -> Response:
    return data_response(request, found.data, found.etag.strip('"'), found.content_type, inline=True,
                         etag=found.etag, cache="public, max-age=3600" if found.public else "private, no-store")


@get("/h5/p/{slug:str}/media/{block_id:int}")
async def page_media(request: Request, slug: str, block_id: int) -> Response:
    with service_errors():
        found = await micropages.media(actor(request), slug, block_id)
    return _media_response(request, found)


@get("/h5/p/{slug:str}/cover")
async def page_cover(request: Request, slug: str) -> Response:
    with service_errors():
        found = await micropages.media(actor(request), slug, None)
    return _media_response(request, found)


ROUTES = [page_view, page_media, page_cover]

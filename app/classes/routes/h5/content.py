"""Class stories (班级故事: date, text, pictures), class posts (班级动态: text, pictures) and class albums
(班级相册) on the phone (CLS-04), through the content platform: it checks the text against the dictionary's
sensitive words and the pictures' type and size, and holds new items for the liaisons when the class's
moderation setting is on. Plain forms (multipart for pictures), no JS."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.classes import space
from app.classes.routes.h5 import H5, share, space_or_403
from app.content import api as content
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import PermissionDenied
from app.core.web import actor, page_param, redirect, render

SECTIONS = {"stories": "story", "posts": "post"}
MAX_PICTURES = 9


def post_form(kind: str, data: dict | None = None) -> Form:
    fields = [Field("title", L("Title"), max_length=200)]
    if kind == "story":
        fields.append(Field("happened_on", L("Date"), "date", help=L("When it happened (YYYY-MM-DD).")))
    fields.append(Field("body", L("Text"), "textarea", required=True, max_length=5000))
    return Form(fields, data or {})


async def _uploads(form_data, name: str, limit: int) -> list[tuple[str, bytes]]:
    files = []
    for upload in [v for k, v in form_data.multi_items() if k == name][:limit + 1]:
        if getattr(upload, "filename", ""):
            files.append((upload.filename, await upload.read()))
    return files


async def _list(request: Request, class_id: int, section: str) -> Response:
    klass = await space_or_403(request, class_id)
    kind = SECTIONS[section]
    page = await content.list_posts(space.owner(class_id), kind=kind, viewer=actor(request),
                                    req=PageRequest(page=page_param(request.query_params.get("page"))))
    return await render(request, "classes/h5/posts.html", klass=klass, page=page, section=section, kind=kind,
                        title=space.POST_KINDS[kind], can_post=await space.can_post(actor(request), class_id),
                        **share(klass))


async def _form(request: Request, class_id: int, section: str, form: Form | None = None,
                status: int = 200) -> Response:
    klass = await space_or_403(request, class_id)
    kind = SECTIONS[section]
    return await render(request, "classes/h5/post_form.html", klass=klass, form=form or post_form(kind),
                        section=section, kind=kind, status=status, max_pictures=MAX_PICTURES,
                        title=_("Write a story") if kind == "story" else _("Write a post"), share_title=klass["name"])


async def _create(request: Request, class_id: int, section: str) -> Response:
    await space_or_403(request, class_id)
    kind = SECTIONS[section]
    data = await request.form()
    form = post_form(kind, {k: v for k, v in data.items() if isinstance(v, str)})
    if form.validate():
        try:
            post_id = await content.create_post(
                actor(request), space.owner(class_id), kind=kind, body=form.cleaned["body"],
                title=form.cleaned["title"] or "", images=await _uploads(data, "images", MAX_PICTURES),
                happened_on=form.cleaned.get("happened_on"))
        except content.NotAllowed:
            raise PermissionDenied() from None
        except Invalid as exc:
            form.add_error(exc.field if exc.field in ("title", "body", "happened_on") else "", exc.message)
        else:
            published = (await content.get_post(post_id, actor(request)))["status"] == "published"
            message = _("Published.") if published else _("Sent. It appears once a liaison approves it.")
            return redirect(request, f"/h5/classes/{class_id}/{section}", message)
    return await _form(request, class_id, section, form, status=422)


@get("/h5/classes/{class_id:int}/stories", guards=H5)
async def stories(request: Request, class_id: int) -> Response:
    return await _list(request, class_id, "stories")


@get("/h5/classes/{class_id:int}/stories/new", guards=H5)
async def story_form(request: Request, class_id: int) -> Response:
    return await _form(request, class_id, "stories")


@post("/h5/classes/{class_id:int}/stories", guards=H5)
async def story_create(request: Request, class_id: int) -> Response:
    return await _create(request, class_id, "stories")


@get("/h5/classes/{class_id:int}/posts", guards=H5)
async def posts(request: Request, class_id: int) -> Response:
    return await _list(request, class_id, "posts")


@get("/h5/classes/{class_id:int}/posts/new", guards=H5)
async def posting_form(request: Request, class_id: int) -> Response:
    return await _form(request, class_id, "posts")


@post("/h5/classes/{class_id:int}/posts", guards=H5)
async def post_create(request: Request, class_id: int) -> Response:
    return await _create(request, class_id, "posts")


# --- albums ---------------------------------------------------------------------------------------------

def album_form(data: dict | None = None) -> Form:
    return Form([Field("title", L("Album name"), required=True, max_length=100),
                 Field("description", L("Description"), "textarea", max_length=1000)], data or {})


async def _albums_page(request: Request, class_id: int, form: Form | None = None, status: int = 200) -> Response:
    klass = await space_or_403(request, class_id)
    albums = await content.list_albums(space.owner(class_id), actor(request))
    return await render(request, "classes/h5/albums.html", klass=klass, albums=albums, form=form or album_form(),
                        can_post=await space.can_post(actor(request), class_id), status=status, **share(klass))


@get("/h5/classes/{class_id:int}/albums", guards=H5)
async def albums(request: Request, class_id: int) -> Response:
    return await _albums_page(request, class_id)


@post("/h5/classes/{class_id:int}/albums", guards=H5)
async def album_create(request: Request, class_id: int) -> Response:
    await space_or_403(request, class_id)
    form = album_form({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    if form.validate():
        try:
            album_id = await content.create_album(actor(request), space.owner(class_id), form.cleaned["title"],
                                                  form.cleaned["description"] or "")
        except content.NotAllowed:
            raise PermissionDenied() from None
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(request, f"/h5/classes/{class_id}/albums/{album_id}", _("Album created."))
    return await _albums_page(request, class_id, form, status=422)


async def _album_or_404(request: Request, class_id: int, album_id: int) -> dict:
    try:
        album = await content.get_album(album_id, actor(request))
    except content.NotFound:
        raise NotFoundException() from None
    if album["owner"] != space.owner(class_id):  # another class's album under this class's URL
        raise NotFoundException()
    return album


async def _album_page(request: Request, class_id: int, album_id: int, error: str = "", status: int = 200):
    klass = await space_or_403(request, class_id)
    album = await _album_or_404(request, class_id, album_id)
    photos = await content.list_photos(album_id, actor(request),
                                       PageRequest(page=page_param(request.query_params.get("page")), per_page=50))
    return await render(request, "classes/h5/album.html", klass=klass, album=album, photos=photos, error=error,
                        status=status, share_title=album["title"], share_description=klass["name"])


@get("/h5/classes/{class_id:int}/albums/{album_id:int}", guards=H5)
async def album(request: Request, class_id: int, album_id: int) -> Response:
    return await _album_page(request, class_id, album_id)


@post("/h5/classes/{class_id:int}/albums/{album_id:int}/photos", guards=H5)
async def photo_upload(request: Request, class_id: int, album_id: int) -> Response:
    await space_or_403(request, class_id)
    await _album_or_404(request, class_id, album_id)
    data = await request.form()
    files = await _uploads(data, "photos", MAX_PICTURES)
    if not files:
        return await _album_page(request, class_id, album_id, _("Choose at least one photo."), status=422)
    try:
        for filename, blob in files[:MAX_PICTURES]:
            await content.add_photo(actor(request), album_id, filename, blob, str(data.get("caption") or ""))
    except content.NotAllowed:
        raise PermissionDenied() from None
    except Invalid as exc:
        return await _album_page(request, class_id, album_id, exc.message, status=422)
    return redirect(request, f"/h5/classes/{class_id}/albums/{album_id}", _("Photos uploaded."))


ROUTES = [stories, story_form, story_create, posts, posting_form, post_create, albums, album_create, album,
          photo_upload]

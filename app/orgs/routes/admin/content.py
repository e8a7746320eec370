"""An org's news, albums and guestbook on the desktop (ORG-05, ORG-06, ORG-07), all through the content platform
(owner ("org", id)): articles in the rich editor (paste from WeChat / Xiumi, .docx import, cover, attachments),
publish, headline / recommend / pin, submit to HQ; albums with checked, EXIF-stripped photos; guestbook messages
with replies, featured messages, and the pending ones approved or rejected in the content moderation pages."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.content import api as content
from app.content import article_form
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.orgs.content_link import GUESTBOOK, owner
from app.orgs.routes import content_errors, same_owner
from app.orgs.routes.admin import BASE, GUARD, managed_org, org_ctx

ALBUM_FIELDS = [Field("title", L("Album name"), required=True, max_length=100),
                Field("description", L("Description"), "textarea", max_length=1000)]
PHOTO_FIELDS = [Field("photos", L("Photos"), "file", required=True,
                      help=L("JPEG, PNG, GIF or WebP; location and camera data are removed.")),
                Field("caption", L("Caption"), max_length=200)]
STATUSES = {"draft": L("Draft"), "pending": L("Waiting for moderation"), "published": L("Published"),
            "rejected": L("Rejected")}


def _files(data: dict, name: str) -> list:
    raw = data.get(name)
    items = raw if isinstance(raw, list) else [raw]
    return [f for f in items if getattr(f, "filename", None)]


# --- news -----------------------------------------------------------------------------------------------

def _news(org_id: int) -> str:
    return f"{BASE}/{org_id}/news"


@get(f"{BASE}/{{org_id:int}}/news", guards=GUARD)
async def news_list(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    status = request.query_params.get("status") or ""
    status = status if status in STATUSES else ""
    page = await content.list_articles(owner(org_id), status=status or None, q=request.query_params.get("q", ""),
                                       req=PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/news.html", page=page, current=status, article_statuses=STATUSES,
                        counts=await content.status_counts(owner(org_id)), block="results",
                        **org_ctx(org, request, "news"))


async def _article_form(request: Request, org: dict, form: Form, article: dict | None = None,
                        status: int = 200) -> Response:
    submissions = await content.submissions_of(article["id"]) if article else []
    return await render(request, "orgs/admin/article.html", form=form, article=article, submissions=submissions,
                        article_statuses=STATUSES, status=status, **org_ctx(org, request, "news"))


@get(f"{BASE}/{{org_id:int}}/news/new", guards=GUARD)
async def article_new(request: Request, org_id: int) -> Response:
    return await _article_form(request, await managed_org(request, org_id), article_form.form({}))


async def _submitted(request: Request, org: dict, article: dict | None) -> tuple[Form, article_form.ArticleFiles,
                                                                                 Response | None]:
    """The posted article form and its files; with the "Import" button, the page again with the Word text."""
    data = await form_data(request)
    action = data.pop("_action", "save")
    files = await article_form.files(data)
    form = article_form.form(data)
    if action == "import":
        if files.docx is None:
            form.add_error("docx", _("Choose a file."))
            return form, files, await _article_form(request, org, form, article, 422)
        try:
            form.data["body_html"] = content.import_docx(files.docx)
        except Invalid as exc:
            form.add_error("docx", exc.message)
            return form, files, await _article_form(request, org, form, article, 422)
        return form, files, await _article_form(request, org, form, article)
    if not form.validate():
        return form, files, await _article_form(request, org, form, article, 422)
    form.cleaned["publish"] = action == "publish"
    return form, files, None


@post(f"{BASE}/{{org_id:int}}/news", guards=GUARD)
async def article_create(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    form, files, shown = await _submitted(request, org, None)
    if shown is not None:
        return shown
    try:
        with content_errors():
            article_id = await content.create_article(
                actor(request), owner(org_id), title=form.cleaned["title"], body_html=form.data.get("body_html") or "",
                summary=form.cleaned["summary"] or "", cover=files.cover, attachments=files.attachments,
                status="published" if form.cleaned["publish"] else "draft")
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return await _article_form(request, org, form, None, 422)
    article = await content.get_article(article_id)
    message = {"published": _("Article published."), "pending": _("Article saved; it waits for moderation.")}
    return redirect(request, f"{_news(org_id)}/{article_id}", message.get(article["status"], _("Draft saved.")))


async def _article(request: Request, org_id: int, article_id: int) -> dict:
    with content_errors():
        article = await content.get_article(article_id)
    same_owner(article, org_id)
    return article


@get(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}", guards=GUARD)
async def article_detail(request: Request, org_id: int, article_id: int) -> Response:
    org = await managed_org(request, org_id)
    article = await _article(request, org_id, article_id)
    return await _article_form(request, org, article_form.form(article=article), article)


@post(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}", guards=GUARD)
async def article_update(request: Request, org_id: int, article_id: int) -> Response:
    org = await managed_org(request, org_id)
    article = await _article(request, org_id, article_id)
    form, files, shown = await _submitted(request, org, article)
    if shown is not None:
        return shown
    try:
        with content_errors():
            await content.update_article(
                actor(request), article_id, title=form.cleaned["title"], summary=form.cleaned["summary"] or "",
                body_html=form.data.get("body_html") or "", cover=files.cover, remove_cover=files.remove_cover,
                attachments=files.attachments, remove_attachments=files.remove_attachments)
            if form.cleaned["publish"] and article["status"] in ("draft", "rejected"):
                await content.publish(actor(request), article_id)
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return await _article_form(request, org, form, article, 422)
    return redirect(request, f"{_news(org_id)}/{article_id}", _("Article saved."))


async def _article_action(request: Request, org_id: int, article_id: int, action, done: str) -> Response:
    await managed_org(request, org_id)
    await _article(request, org_id, article_id)
    back = f"{_news(org_id)}/{article_id}"
    try:
        with content_errors():
            await action()
    except (Invalid, Conflict) as exc:
        return redirect(request, back, getattr(exc, "message", str(exc)), "error")
    return redirect(request, back, done)


@post(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}/publish", guards=GUARD)
async def article_publish(request: Request, org_id: int, article_id: int) -> Response:
    return await _article_action(request, org_id, article_id, lambda: content.publish(actor(request), article_id),
                                 _("Article published (or sent for moderation)."))


@post(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}/unpublish", guards=GUARD)
async def article_unpublish(request: Request, org_id: int, article_id: int) -> Response:
    return await _article_action(request, org_id, article_id, lambda: content.unpublish(actor(request), article_id),
                                 _("Article taken off the site."))


@post(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}/flags", guards=GUARD)
async def article_flags(request: Request, org_id: int, article_id: int) -> Response:
    data = await form_data(request)
    flags = {flag: data.get(flag) == "on" for flag in content.FLAGS}
    return await _article_action(request, org_id, article_id,
                                 lambda: content.set_flags(actor(request), article_id, **flags), _("Flags saved."))


@post(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}/submit", guards=GUARD)
async def article_submit(request: Request, org_id: int, article_id: int) -> Response:
    return await _article_action(request, org_id, article_id,
                                 lambda: content.submit_to(actor(request), article_id, content.HQ),
                                 _("Submitted to HQ. You will be told when it is accepted or declined."))


@get(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}/delete", guards=GUARD)
async def article_delete_confirm(request: Request, org_id: int, article_id: int) -> Response:
    await managed_org(request, org_id)
    article = await _article(request, org_id, article_id)
    return await confirm_page(request, _("Delete article"), _("Delete the article “%(title)s”?",
                                                              title=article["title"]),
                              f"{_news(org_id)}/{article_id}/delete", f"{_news(org_id)}/{article_id}")


@post(f"{BASE}/{{org_id:int}}/news/{{article_id:int}}/delete", guards=GUARD)
async def article_delete(request: Request, org_id: int, article_id: int) -> Response:
    await managed_org(request, org_id)
    await _article(request, org_id, article_id)
    with content_errors():
        await content.delete_article(actor(request), article_id)
    return redirect(request, _news(org_id), _("Article deleted."))


# --- albums ---------------------------------------------------------------------------------------------

def _albums(org_id: int) -> str:
    return f"{BASE}/{org_id}/albums"


async def _album_list(request: Request, org: dict, form: Form | None = None, status: int = 200) -> Response:
    with content_errors():
        albums = await content.list_albums(owner(org["id"]), actor(request))
    return await render(request, "orgs/admin/albums.html", albums=albums, form=form or Form(ALBUM_FIELDS),
                        album_statuses=STATUSES, status=status, **org_ctx(org, request, "albums"))


@get(f"{BASE}/{{org_id:int}}/albums", guards=GUARD)
async def album_list(request: Request, org_id: int) -> Response:
    return await _album_list(request, await managed_org(request, org_id))


@post(f"{BASE}/{{org_id:int}}/albums", guards=GUARD)
async def album_create(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    form = Form(ALBUM_FIELDS, data=await form_data(request))
    if form.validate():
        try:
            with content_errors():
                album_id = await content.create_album(actor(request), owner(org_id), form.cleaned["title"],
                                                      form.cleaned["description"] or "")
            return redirect(request, f"{_albums(org_id)}/{album_id}", _("Album created."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _album_list(request, org, form, 422)


async def _album_page(request: Request, org: dict, album_id: int, form: Form | None = None,
                      status: int = 200) -> Response:
    with content_errors():
        album = await content.get_album(album_id, actor(request))
        same_owner(album, org["id"])
        photos = await content.list_photos(album_id, actor(request), PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/album.html", album=album, page=photos, form=form or Form(PHOTO_FIELDS),
                        album_statuses=STATUSES, status=status, **org_ctx(org, request, "albums"))


@get(f"{BASE}/{{org_id:int}}/albums/{{album_id:int}}", guards=GUARD)
async def album_detail(request: Request, org_id: int, album_id: int) -> Response:
    return await _album_page(request, await managed_org(request, org_id), album_id)


@post(f"{BASE}/{{org_id:int}}/albums/{{album_id:int}}/photos", guards=GUARD)
async def photo_upload(request: Request, org_id: int, album_id: int) -> Response:
    org = await managed_org(request, org_id)
    data = await form_data(request)
    form = Form(PHOTO_FIELDS, data=data)
    files = _files(data, "photos")
    if not files:
        form.add_error("photos", _("Choose a file."))
        return await _album_page(request, org, album_id, form, 422)
    with content_errors():
        album = await content.get_album(album_id, actor(request))
    same_owner(album, org_id)
    try:
        with content_errors():
            for f in files:
                await content.add_photo(actor(request), album_id, f.filename, await f.read(),
                                        str(data.get("caption") or ""))
    except Invalid as exc:
        form.add_error("photos", exc.message)
        return await _album_page(request, org, album_id, form, 422)
    return redirect(request, f"{_albums(org_id)}/{album_id}", _("Photos uploaded."))


@get(f"{BASE}/{{org_id:int}}/albums/{{album_id:int}}/delete", guards=GUARD)
async def album_delete_confirm(request: Request, org_id: int, album_id: int) -> Response:
    await managed_org(request, org_id)
    with content_errors():
        album = await content.get_album(album_id, actor(request))
    same_owner(album, org_id)
    return await confirm_page(request, _("Delete album"), _("Delete the album “%(title)s” with all its photos?",
                                                            title=album["title"]),
                              f"{_albums(org_id)}/{album_id}/delete", f"{_albums(org_id)}/{album_id}")


@post(f"{BASE}/{{org_id:int}}/albums/{{album_id:int}}/delete", guards=GUARD)
async def album_delete(request: Request, org_id: int, album_id: int) -> Response:
    await managed_org(request, org_id)
    with content_errors():
        album = await content.get_album(album_id, actor(request))
        same_owner(album, org_id)
        await content.delete_album(actor(request), album_id)
    return redirect(request, _albums(org_id), _("Album deleted."))


@get(f"{BASE}/{{org_id:int}}/albums/{{album_id:int}}/photos/{{photo_id:int}}/delete", guards=GUARD)
async def photo_delete_confirm(request: Request, org_id: int, album_id: int, photo_id: int) -> Response:
    await managed_org(request, org_id)
    with content_errors():
        album = await content.get_album(album_id, actor(request))
    same_owner(album, org_id)
    return await confirm_page(request, _("Delete photo"), _("Delete this photo?"),
                              f"{_albums(org_id)}/{album_id}/photos/{photo_id}/delete", f"{_albums(org_id)}/{album_id}")


@post(f"{BASE}/{{org_id:int}}/albums/{{album_id:int}}/photos/{{photo_id:int}}/delete", guards=GUARD)
async def photo_delete(request: Request, org_id: int, album_id: int, photo_id: int) -> Response:
    await managed_org(request, org_id)
    with content_errors():
        album = await content.get_album(album_id, actor(request))
        same_owner(album, org_id)
        photos = await content.list_photos(album_id, actor(request), PageRequest(per_page=100))
        if photo_id not in {p["id"] for p in photos.items}:
            raise content.NotFound()
        await content.delete_photo(actor(request), photo_id)
    return redirect(request, f"{_albums(org_id)}/{album_id}", _("Photo deleted."))


# --- guestbook ------------------------------------------------------------------------------------------

def _guestbook(org_id: int) -> str:
    return f"{BASE}/{org_id}/guestbook"


@get(f"{BASE}/{{org_id:int}}/guestbook", guards=GUARD)
async def guestbook(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    with content_errors():
        page = await content.list_posts(owner(org_id), kind=GUESTBOOK, viewer=actor(request), status="all",
                                        req=PageRequest.from_query(request.query_params))
    return await render(request, "orgs/admin/guestbook.html", page=page, error_post=None, error="",
                        **org_ctx(org, request, "guestbook"))


async def _post(request: Request, org_id: int, post_id: int) -> dict:
    with content_errors():
        row = await content.get_post(post_id, actor(request))
    same_owner(row, org_id)
    return row


@post(f"{BASE}/{{org_id:int}}/guestbook/{{post_id:int}}/reply", guards=GUARD)
async def guestbook_reply(request: Request, org_id: int, post_id: int) -> Response:
    await managed_org(request, org_id)
    await _post(request, org_id, post_id)
    body = str((await form_data(request)).get("body") or "")
    try:
        with content_errors():
            await content.create_post(actor(request), owner(org_id), kind=GUESTBOOK, body=body, parent_id=post_id)
    except Invalid as exc:
        return redirect(request, f"{_guestbook(org_id)}#post-{post_id}", exc.message, "error")
    return redirect(request, f"{_guestbook(org_id)}#post-{post_id}", _("Reply posted."))


@post(f"{BASE}/{{org_id:int}}/guestbook/{{post_id:int}}/feature", guards=GUARD)
async def guestbook_feature(request: Request, org_id: int, post_id: int) -> Response:
    await managed_org(request, org_id)
    await _post(request, org_id, post_id)
    on = (await form_data(request)).get("on") == "1"
    try:
        with content_errors():
            await content.feature(actor(request), post_id, on)
    except Invalid as exc:
        return redirect(request, _guestbook(org_id), exc.message, "error")
    return redirect(request, _guestbook(org_id), _("Marked as featured.") if on else _("No longer featured."))


@get(f"{BASE}/{{org_id:int}}/guestbook/{{post_id:int}}/delete", guards=GUARD)
async def guestbook_delete_confirm(request: Request, org_id: int, post_id: int) -> Response:
    await managed_org(request, org_id)
    await _post(request, org_id, post_id)
    return await confirm_page(request, _("Delete message"), _("Delete this message and its replies?"),
                              f"{_guestbook(org_id)}/{post_id}/delete", _guestbook(org_id))


@post(f"{BASE}/{{org_id:int}}/guestbook/{{post_id:int}}/delete", guards=GUARD)
async def guestbook_delete(request: Request, org_id: int, post_id: int) -> Response:
    await managed_org(request, org_id)
    await _post(request, org_id, post_id)
    with content_errors():
        await content.delete_post(actor(request), post_id)
    return redirect(request, _guestbook(org_id), _("Message deleted."))


ROUTES = [news_list, article_new, article_create, article_detail, article_update, article_publish, article_unpublish,
          article_flags, article_submit, article_delete_confirm, article_delete, album_list, album_create,
          album_detail, photo_upload, album_delete_confirm, album_delete, photo_delete_confirm, photo_delete,
          guestbook, guestbook_reply, guestbook_feature, guestbook_delete_confirm, guestbook_delete]

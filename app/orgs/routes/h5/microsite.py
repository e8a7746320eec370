"""The micro-site of an association (ORG-08) at /o/<address>: the front page (intro, contacts, council, news,
events, albums, guestbook, the member directory link), an article, an album, the guestbook (leave a message when
logged in), the member directory (members only, masked), joining and leaving, and the member's own address-book
entry. Public pages need no login; everything works as plain links and forms, with WeChat share metadata."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import NotAuthenticated
from app.core.urls import absolute
from app.core.web import actor, form_data, redirect, render
from app.orgs import members, microsite, orgs
from app.orgs.routes import content_errors
from app.orgs.routes.h5 import H5, h5_confirm

BASE = "/o/{slug:str}"
ENTRY_FIELDS = [Field("phone", L("Phone"), "phone", max_length=32), Field("email", L("Email"), "email", max_length=254),
                Field("company", L("Company"), max_length=200), Field("job_title", L("Job title"), max_length=100),
                Field("city", L("City"), max_length=100)]


def share(org: dict, title: str | None = None) -> dict:
    """The WeChat share card: the org's name, its one-line introduction, its logo."""
    return {"share_title": title or org["name"], "share_description": microsite.share_description(org),
            "share_image": absolute(f"/o/{org['slug']}/logo") if org["logo"] else None}


def _ctx(request: Request, org: dict, title: str | None = None) -> dict:
    return {**share(org, title), "org": org, "kinds": orgs.KINDS, "rules": orgs.JOIN_RULES}


async def _org(slug: str) -> dict:
    try:
        return await orgs.by_slug(slug)
    except orgs.NotFound:
        raise NotFoundException() from None


@get(BASE)
async def home(request: Request, slug: str) -> Response:
    try:
        with content_errors():
            data = await microsite.home(actor(request), slug)
    except orgs.NotFound:
        raise NotFoundException() from None
    return await render(request, "orgs/h5/site.html", **{k: v for k, v in data.items() if k != "org"},
                        **_ctx(request, data["org"]))


@get(f"{BASE}/logo")
async def logo(slug: str) -> Response:
    found = orgs.logo_bytes(await _org(slug))
    if found is None:
        raise NotFoundException()
    return Response(found[0], media_type=found[1], headers={"Cache-Control": "public, max-age=3600"})


@get(f"{BASE}/news")
async def news(request: Request, slug: str) -> Response:
    try:
        org, page = await microsite.news_page(slug, PageRequest.from_query(request.query_params))
    except orgs.NotFound:
        raise NotFoundException() from None
    return await render(request, "orgs/h5/news.html", page=page, **_ctx(request, org, _("News")))


@get(f"{BASE}/news/{{article_id:int}}")
async def article(request: Request, slug: str, article_id: int) -> Response:
    try:
        with content_errors():
            org, row = await microsite.article(slug, article_id)
    except orgs.NotFound:
        raise NotFoundException() from None
    ctx = _ctx(request, org, row["title"])
    ctx["share_description"] = row["summary"] or ctx["share_description"]
    if row["cover_url"]:
        ctx["share_image"] = absolute(row["cover_url"])
    return await render(request, "orgs/h5/article.html", article=row, **ctx)


async def _album(request: Request, slug: str, album_id: int, error: str = "", status: int = 200) -> Response:
    try:
        with content_errors():
            org, row, page = await microsite.album(actor(request), slug, album_id,
                                                   PageRequest.from_query(request.query_params))
    except orgs.NotFound:
        raise NotFoundException() from None
    return await render(request, "orgs/h5/album.html", album=row, page=page, error=error, status=status,
                        **_ctx(request, org, row["title"]))


@get(f"{BASE}/albums/{{album_id:int}}")
async def album(request: Request, slug: str, album_id: int) -> Response:
    return await _album(request, slug, album_id)


@post(f"{BASE}/albums/{{album_id:int}}/photos", guards=H5)
async def album_upload(request: Request, slug: str, album_id: int) -> Response:
    """A member adds a photo (checked, EXIF stripped); it waits for the admins unless moderation is off."""
    data = await form_data(request)
    upload = data.get("photo")
    if not getattr(upload, "filename", None):
        return await _album(request, slug, album_id, _("Choose a file."), 422)
    try:
        with content_errors():
            status = await microsite.upload_photo(actor(request), slug, album_id, upload.filename,
                                                  await upload.read(), str(data.get("caption") or ""))
    except orgs.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _album(request, slug, album_id, exc.message, 422)
    return redirect(request, f"/o/{slug}/albums/{album_id}", _("Photo added.") if status == "published" else
                    _("Thank you. Your photo is shown once an admin has approved it."))


async def _guestbook(request: Request, slug: str, error: str = "", body: str = "", status: int = 200) -> Response:
    try:
        with content_errors():
            org, page, featured = await microsite.guestbook(actor(request), slug,
                                                            PageRequest.from_query(request.query_params))
    except orgs.NotFound:
        raise NotFoundException() from None
    return await render(request, "orgs/h5/guestbook.html", page=page, featured=featured, error=error, body=body,
                        status=status, **_ctx(request, org, _("Guestbook")))


@get(f"{BASE}/guestbook")
async def guestbook(request: Request, slug: str) -> Response:
    return await _guestbook(request, slug)


@post(f"{BASE}/guestbook", guards=H5)
async def guestbook_post(request: Request, slug: str) -> Response:
    body = str((await form_data(request)).get("body") or "")
    try:
        with content_errors():
            status = await microsite.leave_message(actor(request), slug, body)
    except orgs.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return await _guestbook(request, slug, exc.message, body, 422)
    return redirect(request, f"/o/{slug}/guestbook", _("Message posted.") if status == "published" else
                    _("Thank you. Your message is shown once an admin has approved it."))


@get(f"{BASE}/members")
async def directory(request: Request, slug: str) -> Response:
    org = await _org(slug)
    who = actor(request)
    if who.id is None:
        raise NotAuthenticated()
    q = (request.query_params.get("q") or "").strip()[:50]
    try:
        page = await members.directory(who, org["id"], q, PageRequest.from_query(request.query_params))
    except members.MembersOnly:
        return await render(request, "orgs/h5/members_only.html", status=403,
                            pending=await members.pending_request(who.id, org["id"]),
                            **_ctx(request, org, _("Member directory")))
    return await render(request, "orgs/h5/directory.html", page=page, q=q, roles=members.ROLES,
                        **_ctx(request, org, _("Member directory")))


# --- joining, leaving, the own entry ---------------------------------------------------------------------

@get(f"{BASE}/join", guards=H5)
async def join_form(request: Request, slug: str) -> Response:
    org = await _org(slug)
    return await render(request, "orgs/h5/join.html", error="", message="", **_ctx(request, org, _("Join")))


@post(f"{BASE}/join", guards=H5)
async def join(request: Request, slug: str) -> Response:
    org = await _org(slug)
    message = str((await form_data(request)).get("message") or "")
    try:
        result = await members.join(actor(request), org["id"], message)
    except members.Refused as exc:
        return await render(request, "orgs/h5/join.html", error=str(exc), refused=exc.code, message=message,
                            status=403, **_ctx(request, org, _("Join")))
    except (Conflict, Invalid) as exc:
        return redirect(request, f"/o/{slug}", getattr(exc, "message", str(exc)), "error")
    if result == "joined":
        return redirect(request, f"/o/{slug}", _("Welcome! You are now a member of %(org)s.", org=org["name"]))
    return redirect(request, f"/o/{slug}", _("Your request is sent. The admins of %(org)s will decide.",
                                             org=org["name"]))


@post(f"{BASE}/withdraw", guards=H5)
async def withdraw(request: Request, slug: str) -> Response:
    org = await _org(slug)
    try:
        await members.withdraw(actor(request), org["id"])
    except Conflict as exc:
        return redirect(request, f"/o/{slug}", str(exc), "error")
    return redirect(request, f"/o/{slug}", _("Request withdrawn."))


@get(f"{BASE}/leave", guards=H5)
async def leave_confirm(request: Request, slug: str) -> Response:
    org = await _org(slug)
    return await h5_confirm(request, _("Leave the association"),
                            _("Leave %(org)s? You will no longer see its member directory.", org=org["name"]),
                            f"/o/{slug}/leave", f"/o/{slug}")


@post(f"{BASE}/leave", guards=H5)
async def leave(request: Request, slug: str) -> Response:
    org = await _org(slug)
    try:
        await members.leave(actor(request), org["id"])
    except Conflict as exc:
        return redirect(request, f"/o/{slug}", str(exc), "error")
    return redirect(request, f"/o/{slug}", _("You have left %(org)s.", org=org["name"]))


async def _entry(request: Request, org: dict, data: dict, errors: dict | None = None, status: int = 200) -> Response:
    form = Form(ENTRY_FIELDS, data=data, errors=errors or {})
    return await render(request, "orgs/h5/entry.html", form=form, status=status,
                        **_ctx(request, org, _("My address-book entry")))


@get(f"{BASE}/me", guards=H5)
async def entry(request: Request, slug: str) -> Response:
    org = await _org(slug)
    row = await members.membership(actor(request).id, org["id"])
    if row is None or row["status"] != "active":
        return redirect(request, f"/o/{slug}", _("Join the association first."), "error")
    return await _entry(request, org, {f.name: row[f.name] for f in ENTRY_FIELDS})


@post(f"{BASE}/me", guards=H5)
async def entry_save(request: Request, slug: str) -> Response:
    org = await _org(slug)
    data = await form_data(request)
    form = Form(ENTRY_FIELDS, data=data)
    if not form.validate():
        return await _entry(request, org, data, form.errors, 422)
    try:
        await members.update_own_contact(actor(request), org["id"], {k: v or "" for k, v in form.cleaned.items()})
    except Conflict as exc:
        return redirect(request, f"/o/{slug}", str(exc), "error")
    return redirect(request, f"/o/{slug}", _("Your entry is saved."))


ROUTES = [home, logo, news, article, album, album_upload, guestbook, guestbook_post, directory, join_form, join,
          withdraw, leave_confirm, leave, entry, entry_save]

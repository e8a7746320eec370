"""Service accounts on the phone (IM-07): every active account (subscribed ones first) with subscribe /
unsubscribe forms, an account's page (intro, columns as tabs, pushed articles paged) and an article page (the
content platform's article, videos and voice attachments playable, an "edited" mark, the comment thread: a comment
waits for moderation before others see it)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.content import api as content
from app.core.file_serving import file_response
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import login_required
from app.core.web import actor, redirect, render
from app.im import accounts

GUARD = [login_required]
BASE = "/h5/im/accounts"


async def _active(account_id: int) -> dict:
    try:
        return await accounts.get_active(account_id)
    except accounts.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def account_list(request: Request) -> Response:
    page = await accounts.for_user(actor(request).id, PageRequest.from_query(request.query_params))
    return await render(request, "im/h5/accounts.html", page=page)


@get(f"{BASE}/{{account_id:int}}", guards=GUARD)
async def account_page(request: Request, account_id: int) -> Response:
    account = await _active(account_id)
    columns = await accounts.columns(account_id)
    raw = request.query_params.get("column") or ""
    column = int(raw) if raw.isdigit() and int(raw) in {c["id"] for c in columns} else None
    page = await accounts.history(account_id, PageRequest.from_query(request.query_params), column)
    return await render(request, "im/h5/account.html", account=account, columns=columns, column=column, page=page,
                        subscribed=await accounts.is_subscribed(actor(request).id, account_id))


@post(f"{BASE}/{{account_id:int}}/subscribe", guards=GUARD)
async def subscribe(request: Request, account_id: int) -> Response:
    await _active(account_id)
    await accounts.subscribe(actor(request), account_id)
    return redirect(request, f"{BASE}/{account_id}", _("Subscribed. New articles arrive in your messages."))


@post(f"{BASE}/{{account_id:int}}/unsubscribe", guards=GUARD)
async def unsubscribe(request: Request, account_id: int) -> Response:
    await accounts.unsubscribe(actor(request), account_id)
    return redirect(request, f"{BASE}/{account_id}", _("Unsubscribed."))


@get(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}", guards=GUARD)
async def article_page(request: Request, account_id: int, article_id: int) -> Response:
    account = await _active(account_id)
    try:
        article = await accounts.article_row(account_id, article_id)
    except accounts.NotFound:
        raise NotFoundException() from None
    if article["status"] != "published" or not article["pushed_at"]:
        raise NotFoundException()
    await content.record_view(article_id)
    thread = await content.list_comments("article", article_id, actor(request))
    played = [a for a in article["attachments"] if a["content_type"].startswith(("video/", "audio/"))]
    files = [a for a in article["attachments"] if a not in played]
    media = article["media"] + played
    return await render(request, "im/h5/account_article.html", account=account, article=article, comments=thread,
                        media=media, files=files, share_title=article["title"],
                        share_description=article["summary"],
                        **({"share_image": article["cover_url"]} if article["cover_url"] else {}))


@get(f"{BASE}/{{account_id:int}}/avatar", guards=GUARD)
async def avatar(request: Request, account_id: int) -> Response:
    found = await accounts.avatar(actor(request), account_id)
    if found is None:
        raise NotFoundException()
    return file_response(request, found[0], f"account-{account_id}.{found[0].rsplit('.', 1)[-1]}", found[1],
                         inline=True)


@get(f"{BASE}/media/{{media_id:int}}", guards=GUARD)
async def video(request: Request, media_id: int) -> Response:
    """An article's video with byte ranges (phone players seek)."""
    found = await accounts.video_file(actor(request), media_id)
    if found is None:
        raise NotFoundException()
    return file_response(request, found["key"], found["name"], found["content_type"], inline=True)


ROUTES = [avatar, video, account_list, account_page, subscribe, unsubscribe, article_page]

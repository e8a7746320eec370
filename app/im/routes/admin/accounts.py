"""The service-account desk (IM-07, permission im.accounts): accounts (name, intro, sort order users see, on/off),
their columns, and their articles written in the content platform's article form (rich editor, Word import,
cover, attachments) with a column chosen; publishing pushes the article to the subscribers. Comments wait in the
content moderation queue; the article page lists them and deletes one (the commenter is told)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException

from app.content import api as content
from app.content import article_form
from app.content.routes import http_errors
from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.uploads import upload_chunks
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.im import accounts

GUARD = [requires(accounts.PERMISSION)]
BASE = "/admin/im/accounts"
VIDEO_BODY_LIMIT = (accounts.VIDEO_MAX_MB + 1) * 1024 * 1024


def status_labels() -> dict:
    return {"draft": _("Draft"), "pending": _("Pending"), "published": _("Published"), "rejected": _("Rejected")}


def account_form(data: dict | None = None) -> Form:
    return Form([
        Field("name", L("Account name"), required=True, max_length=accounts.NAME_MAX),
        Field("intro", L("Introduction"), "textarea", max_length=accounts.INTRO_MAX),
        Field("sort", L("Sort order"), "int", min_value=accounts.SORT_MIN, max_value=accounts.SORT_MAX,
              help=L("Users see the accounts by this number (smallest first), then by name.")),
        Field("status", L("Status"), "select", required=True, choices=list(accounts.STATUSES.items())),
    ], data=data if data is not None else {"sort": "100", "status": "active"})


async def _account(account_id: int) -> dict:
    try:
        return await accounts.get(account_id)
    except accounts.NotFound:
        raise NotFoundException() from None


async def _account_article(account_id: int, article_id: int) -> dict:
    try:
        return await accounts.article_row(account_id, article_id)
    except accounts.NotFound:
        raise NotFoundException() from None


# --- accounts -------------------------------------------------------------------------------------------

@get(BASE, guards=GUARD)
async def account_list(request: Request) -> Response:
    page = await accounts.admin_list(PageRequest.from_query(request.query_params))
    return await render(request, "im/admin/accounts.html", page=page, statuses=accounts.STATUSES, block="results")


async def _account_page(request: Request, form: Form, account: dict | None = None, status: int = 200,
                        column_error: str = "") -> Response:
    extra = {}
    if account:
        extra = {"columns": await accounts.columns(account["id"]),
                 "articles": await accounts.admin_articles(account["id"], PageRequest.from_query(
                     request.query_params)), "article_statuses": status_labels()}
    return await render(request, "im/admin/account_form.html", form=form, account=account, status=status,
                        column_error=column_error, block="articles" if account else None, **extra)


@get(f"{BASE}/new", guards=GUARD)
async def account_new(request: Request) -> Response:
    return await _account_page(request, account_form())


async def _save_account(request: Request, account: dict | None) -> Response:
    data = await form_data(request)
    upload = data.pop("avatar", None)
    picture = (upload.filename, await upload.read()) if getattr(upload, "filename", "") else None
    form = account_form(data)
    if not form.validate():
        return await _account_page(request, form, account, 422)
    values = form.cleaned
    try:
        if picture:
            content.check_image(*picture, field="avatar")  # before anything is saved
        if account is None:
            account_id = await accounts.create(actor(request), name=values["name"], intro=values["intro"] or "",
                                               sort=values["sort"], status=values["status"])
        else:
            account_id = account["id"]
            await accounts.update(actor(request), account_id, name=values["name"], intro=values["intro"] or "",
                                  sort=values["sort"], status=values["status"])
        if picture:
            await accounts.set_avatar(actor(request), account_id, *picture)
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return await _account_page(request, form, account, 422)
    return redirect(request, f"{BASE}/{account_id}", _("Service account saved."))


@post(BASE, guards=GUARD)
async def account_create(request: Request) -> Response:
    return await _save_account(request, None)


@get(f"{BASE}/{{account_id:int}}", guards=GUARD)
async def account_edit(request: Request, account_id: int) -> Response:
    account = await _account(account_id)
    form = account_form({"name": account["name"], "intro": account["intro"], "sort": str(account["sort"]),
                         "status": account["status"]})
    return await _account_page(request, form, account)


@post(f"{BASE}/{{account_id:int}}", guards=GUARD)
async def account_update(request: Request, account_id: int) -> Response:
    return await _save_account(request, await _account(account_id))


# --- columns --------------------------------------------------------------------------------------------

@post(f"{BASE}/{{account_id:int}}/columns", guards=GUARD)
async def column_add(request: Request, account_id: int) -> Response:
    account = await _account(account_id)
    data = await form_data(request)
    try:
        await accounts.add_column(actor(request), account_id, name=str(data.get("column_name") or ""),
                                  sort=data.get("sort"))
    except Invalid as exc:
        form = account_form({"name": account["name"], "intro": account["intro"], "sort": str(account["sort"]),
                             "status": account["status"]})
        return await _account_page(request, form, account, 422, column_error=exc.message)
    return redirect(request, f"{BASE}/{account_id}#columns", _("Column added."))


@post(f"{BASE}/{{account_id:int}}/columns/{{column_id:int}}", guards=GUARD)
async def column_update(request: Request, account_id: int, column_id: int) -> Response:
    await _account(account_id)
    data = await form_data(request)
    try:
        await accounts.update_column(actor(request), account_id, column_id, name=str(data.get("column_name") or ""),
                                     sort=data.get("sort"))
    except accounts.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return redirect(request, f"{BASE}/{account_id}#columns", exc.message, "error")
    return redirect(request, f"{BASE}/{account_id}#columns", _("Column saved."))


@post(f"{BASE}/{{account_id:int}}/columns/{{column_id:int}}/delete", guards=GUARD)
async def column_delete(request: Request, account_id: int, column_id: int) -> Response:
    await _account(account_id)
    try:
        await accounts.delete_column(actor(request), account_id, column_id)
    except accounts.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{BASE}/{account_id}#columns", _("Column deleted; its articles are kept."))


# --- articles -------------------------------------------------------------------------------------------

async def _article_page(request: Request, account: dict, form: Form, article: dict | None = None,
                        status: int = 200, notice: str = "", column="") -> Response:
    comments = await accounts.article_comments(account["id"], article["id"]) if article else []
    chosen = column if column != "" else (article["account_column"] if article else "")
    return await render(request, "im/admin/account_article.html", account=account, form=form, article=article,
                        status=status, notice=notice, columns=await accounts.columns(account["id"]),
                        column=str(chosen or ""), statuses=status_labels(), comments=comments)


@get(f"{BASE}/{{account_id:int}}/articles/new", guards=GUARD)
async def article_new(request: Request, account_id: int) -> Response:
    return await _article_page(request, await _account(account_id), article_form.form(),
                               column=request.query_params.get("column") or "")


async def _save_article(request: Request, account: dict, article: dict | None) -> Response:
    data = await form_data(request)
    action = data.pop("_action", "save")
    column = data.pop("column", "") or ""
    files = await article_form.files(data)
    form = article_form.form(data)
    if files.docx or action == "import":
        if not files.docx:
            form.add_error("docx", _("Choose a Word .docx file."))
            return await _article_page(request, account, form, article, 422, column=column)
        try:
            form.data["body_html"] = content.import_docx(files.docx)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
            return await _article_page(request, account, form, article, 422, column=column)
        return await _article_page(request, account, form, article, column=column,
                                   notice=_("The Word file was imported. Check the text, then save."))
    if not form.validate():
        return await _article_page(request, account, form, article, 422, column=column)
    values, who = form.cleaned, actor(request)
    try:
        with http_errors():
            if article is None:
                article_id = await accounts.create_article(
                    who, account["id"], column=column, title=values["title"], summary=values["summary"] or "",
                    body_html=form.data.get("body_html") or "", cover=files.cover, attachments=files.attachments,
                    publish=action == "publish")
            else:
                article_id = article["id"]
                await accounts.update_article(
                    who, account["id"], article_id, column=column, title=values["title"],
                    summary=values["summary"] or "", body_html=form.data.get("body_html") or "", cover=files.cover,
                    remove_cover=files.remove_cover, attachments=files.attachments,
                    remove_attachments=files.remove_attachments, publish=action == "publish")
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return await _article_page(request, account, form, article, 422, column=column)
    saved = await accounts.article_row(account["id"], article_id)
    message = {"published": _("Article published and pushed to the subscribers."),
               "pending": _("Saved. The article waits for moderation.")}.get(saved["status"], _("Article saved."))
    if article and article["pushed_at"] and saved["status"] == "published":
        message = _("Article saved. Readers see the new text marked as edited.")
    return redirect(request, f"{BASE}/{account['id']}/articles/{article_id}", message)


@post(f"{BASE}/{{account_id:int}}/articles", guards=GUARD)
async def article_create(request: Request, account_id: int) -> Response:
    return await _save_article(request, await _account(account_id), None)


@get(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}", guards=GUARD)
async def article_edit(request: Request, account_id: int, article_id: int) -> Response:
    account = await _account(account_id)
    article = await _account_article(account_id, article_id)
    return await _article_page(request, account, article_form.form(article=article), article)


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}", guards=GUARD)
async def article_update(request: Request, account_id: int, article_id: int) -> Response:
    account = await _account(account_id)
    return await _save_article(request, account, await _account_article(account_id, article_id))


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/publish", guards=GUARD)
async def article_publish(request: Request, account_id: int, article_id: int) -> Response:
    await _account_article(account_id, article_id)
    back = f"{BASE}/{account_id}/articles/{article_id}"
    try:
        with http_errors():
            status = await accounts.publish_article(actor(request), account_id, article_id)
    except Invalid as exc:
        return redirect(request, back, exc.message, "error")
    message = (_("Article published and pushed to the subscribers.") if status == "published"
               else _("The article waits for moderation."))
    return redirect(request, back, message)


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/push", guards=GUARD)
async def article_push(request: Request, account_id: int, article_id: int) -> Response:
    """Push an article that was published through the moderation queue (sensitive words) after the fact."""
    await _account_article(account_id, article_id)
    told = await accounts.push(actor(request), article_id)
    return redirect(request, f"{BASE}/{account_id}/articles/{article_id}",
                    _("Pushed to %(n)s subscribers.", n=told))


@get(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/delete", guards=GUARD)
async def article_delete_confirm(request: Request, account_id: int, article_id: int) -> Response:
    article = await _account_article(account_id, article_id)
    message = _("Delete \"%(title)s\" with its cover, attachments and comments?", title=article["title"])
    back = f"{BASE}/{account_id}/articles/{article_id}"
    return await confirm_page(request, _("Delete article"), message, f"{back}/delete", back)


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/delete", guards=GUARD)
async def article_delete(request: Request, account_id: int, article_id: int) -> Response:
    await _account_article(account_id, article_id)
    with http_errors():
        await accounts.delete_article(actor(request), account_id, article_id)
    return redirect(request, f"{BASE}/{account_id}", _("Article deleted."))


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/videos", guards=GUARD,
      request_max_body_size=VIDEO_BODY_LIMIT)
async def video_add(request: Request, account_id: int, article_id: int) -> Response:
    await _account_article(account_id, article_id)
    back = f"{BASE}/{account_id}/articles/{article_id}#videos"
    upload = (await form_data(request)).get("video")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(request, back, _("Choose an .mp4 or .mov video."), "error")
    try:
        await accounts.add_video(actor(request), account_id, article_id, upload.filename, upload_chunks(upload))
    except Invalid as exc:
        return redirect(request, back, exc.message, "error")
    finally:
        await upload.close()
    return redirect(request, back, _("Video added to the article."))


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/videos/{{media_id:int}}/delete", guards=GUARD)
async def video_delete(request: Request, account_id: int, article_id: int, media_id: int) -> Response:
    await _account_article(account_id, article_id)
    try:
        await accounts.remove_video(actor(request), account_id, article_id, media_id)
    except accounts.NotFound:
        raise NotFoundException() from None
    return redirect(request, f"{BASE}/{account_id}/articles/{article_id}#videos", _("Video removed."))


@post(f"{BASE}/{{account_id:int}}/articles/{{article_id:int}}/comments/{{comment_id:int}}/delete", guards=GUARD)
async def comment_delete(request: Request, account_id: int, article_id: int, comment_id: int) -> Response:
    await _account_article(account_id, article_id)
    try:
        with http_errors():
            await accounts.delete_comment(actor(request), account_id, article_id, comment_id)
    except accounts.NotFound:
        raise NotFoundException() from None
    except Conflict as exc:
        return redirect(request, f"{BASE}/{account_id}/articles/{article_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{account_id}/articles/{article_id}#comments",
                    _("Comment deleted. The commenter is told."))


ROUTES = [account_list, account_new, account_create, account_edit, account_update, column_add, column_update,
          column_delete, article_new, article_create, article_edit, article_update, article_publish, article_push,
          article_delete_confirm, article_delete, video_add, video_delete, comment_delete]

"""HQ news (ORG-05 on the HQ site): the association's own articles — list, write (rich editor, Word import,
cover, attachments), publish, headline / recommend / pin, delete. Permission content.hq.publish; articles of
other owners are not reachable here (404)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.content import article_form, articles, submissions
from app.content.docx_import import import_docx
from app.content.hq import HQ, PUBLISH
from app.content.routes import http_errors
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render

BASE = "/admin/content/hq"
GUARD = [requires(PUBLISH)]


def status_labels() -> dict:
    return {"draft": _("Draft"), "pending": _("Pending"), "published": _("Published"), "rejected": _("Rejected")}


def flag_labels() -> dict:
    return {"headline": _("Headline"), "recommend": _("Recommended"), "pin": _("Pinned")}


async def _article(article_id: int) -> dict:
    with http_errors():
        article = await articles.get_article(article_id)
    if article["owner"] != HQ:
        raise NotFoundException()
    return article


@get(BASE, guards=GUARD)
async def article_list(request: Request) -> Response:
    params = request.query_params
    status = params.get("status") if params.get("status") in articles.STATUSES else None
    flag = params.get("flag") if params.get("flag") in articles.FLAGS else None
    page = await articles.list_articles(HQ, status=status, flag=flag, q=params.get("q") or "",
                                        req=PageRequest.from_query(params))
    return await render(request, "content/admin/hq_list.html", page=page, current=status or "",
                        counts=await articles.status_counts(HQ), statuses=status_labels(), flags=flag_labels(),
                        pending_submissions=(await submissions.list_submissions(HQ)).total, block="results")


async def _form(request: Request, form, article: dict | None = None, status: int = 200, notice: str = "") -> Response:
    return await render(request, "content/admin/hq_form.html", form=form, article=article, status=status,
                        notice=notice, statuses=status_labels(), flags=flag_labels(),
                        submissions=await submissions.submissions_of(article["id"]) if article else [])


@get(f"{BASE}/new", guards=GUARD)
async def article_new(request: Request) -> Response:
    return await _form(request, article_form.form())


async def _save(request: Request, article: dict | None) -> Response:
    data = await form_data(request)
    action = data.pop("_action", "save")
    files = await article_form.files(data)
    form = article_form.form(data)
    if files.docx or action == "import":
        if not files.docx:
            form.add_error("docx", _("Choose a Word .docx file."))
            return await _form(request, form, article, 422)
        try:
            form.data["body_html"] = import_docx(files.docx)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
            return await _form(request, form, article, 422)
        return await _form(request, form, article, notice=_("The Word file was imported. Check the text, then save."))
    if not form.validate():
        return await _form(request, form, article, 422)
    values = form.cleaned
    who = actor(request)
    try:
        with http_errors():
            if article is None:
                article_id = await articles.create_article(
                    who, HQ, title=values["title"], summary=values["summary"] or "",
                    body_html=form.data.get("body_html") or "", cover=files.cover, attachments=files.attachments,
                    status="published" if action == "publish" else "draft")
            else:
                article_id = article["id"]
                await articles.update_article(
                    who, article_id, title=values["title"], summary=values["summary"] or "",
                    body_html=form.data.get("body_html") or "", cover=files.cover, remove_cover=files.remove_cover,
                    attachments=files.attachments, remove_attachments=files.remove_attachments)
                if action == "publish":
                    await articles.publish(who, article_id)
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return await _form(request, form, article, 422)
    saved = await articles.get_article(article_id)
    message = {"published": _("Article published."), "pending": _("Saved. The article waits for moderation.")}.get(
        saved["status"], _("Article saved."))
    return redirect(request, f"{BASE}/{article_id}", message)


@post(BASE, guards=GUARD)
async def article_create(request: Request) -> Response:
    return await _save(request, None)


@get(f"{BASE}/{{article_id:int}}", guards=GUARD)
async def article_edit(request: Request, article_id: int) -> Response:
    article = await _article(article_id)
    return await _form(request, article_form.form(article=article), article)


@post(f"{BASE}/{{article_id:int}}", guards=GUARD)
async def article_update(request: Request, article_id: int) -> Response:
    return await _save(request, await _article(article_id))


@post(f"{BASE}/{{article_id:int}}/publish", guards=GUARD)
async def article_publish(request: Request, article_id: int) -> Response:
    await _article(article_id)
    try:
        with http_errors():
            status = await articles.publish(actor(request), article_id)
    except Invalid as exc:
        return redirect(request, f"{BASE}/{article_id}", exc.message, "error")
    message = _("Article published.") if status == "published" else _("The article waits for moderation.")
    return redirect(request, f"{BASE}/{article_id}", message)


@post(f"{BASE}/{{article_id:int}}/unpublish", guards=GUARD)
async def article_unpublish(request: Request, article_id: int) -> Response:
    await _article(article_id)
    try:
        with http_errors():
            await articles.unpublish(actor(request), article_id)
    except Conflict as exc:
        return redirect(request, f"{BASE}/{article_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{article_id}", _("The article is a draft again."))


@post(f"{BASE}/{{article_id:int}}/flags", guards=GUARD)
async def article_flags(request: Request, article_id: int) -> Response:
    await _article(article_id)
    data = await form_data(request)
    with http_errors():
        await articles.set_flags(actor(request), article_id, **{f: data.get(f) == "on" for f in articles.FLAGS})
    return redirect(request, f"{BASE}/{article_id}", _("Flags saved."))


@get(f"{BASE}/{{article_id:int}}/delete", guards=GUARD)
async def article_delete_confirm(request: Request, article_id: int) -> Response:
    article = await _article(article_id)
    message = _("Delete \"%(title)s\" with its cover, attachments and comments?", title=article["title"])
    return await confirm_page(request, _("Delete article"), message, f"{BASE}/{article_id}/delete",
                              f"{BASE}/{article_id}")


@post(f"{BASE}/{{article_id:int}}/delete", guards=GUARD)
async def article_delete(request: Request, article_id: int) -> Response:
    await _article(article_id)
    with http_errors():
        await articles.delete_article(actor(request), article_id)
    return redirect(request, BASE, _("Article deleted."))


ROUTES = [article_list, article_new, article_create, article_edit, article_update, article_publish,
          article_unpublish, article_flags, article_delete_confirm, article_delete]

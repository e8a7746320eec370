"""Writing and deleting comments (ORG-05, CLS-04) from any page that shows a thread
(views/content/components/comments.html): the form posts here and comes back to `next`. A refused comment is
shown again on a small page of its own with the message and the text as typed (status 422)."""
from __future__ import annotations

from litestar import Request, Response, post

from app.content import comments
from app.content.routes import http_errors
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.web import actor, form_data, int_param, redirect, render, safe_next


@post("/content/comments", guards=[login_required])
async def comment_add(request: Request) -> Response:
    data = await form_data(request)
    target_kind = str(data.get("target_kind") or "")
    target_id = int_param(data.get("target_id")) or 0
    body = data.get("body") if isinstance(data.get("body"), str) else ""
    back = safe_next(data.get("next"), "/h5")
    try:
        with http_errors():
            comment_id = await comments.add_comment(actor(request), target_kind, target_id, body)
    except Invalid as exc:
        return await render(request, "content/h5/comment_form.html", status=422, error=exc.message, body=body,
                            target_kind=target_kind, target_id=target_id, next=back,
                            share_title=_("Write a comment"))
    if await comments.comment_status(comment_id) == "pending":
        return redirect(request, back + "#comments", _("Thank you. Your comment appears once a moderator approves it."))
    return redirect(request, back + "#comments", _("Comment posted."))


@post("/content/comments/{comment_id:int}/delete", guards=[login_required])
async def comment_delete(request: Request, comment_id: int) -> Response:
    data = await form_data(request)
    with http_errors():
        await comments.delete_comment(actor(request), comment_id)
    return redirect(request, safe_next(data.get("next"), "/h5") + "#comments", _("Comment deleted."))


ROUTES = [comment_add, comment_delete]

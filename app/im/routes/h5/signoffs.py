"""Sign-off messages on the phone (IM-05): the receiver opens the message and signs to read it; the sender sees
who has not signed and reminds them."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.web import actor, redirect, render
from app.im import signoffs
from app.im.routes.h5 import H5, member_or_404


@get("/h5/im/m/{message_id:int}", guards=H5)
async def show(request: Request, message_id: int) -> Response:
    with member_or_404():
        message = await signoffs.view(actor(request), message_id)
        state = await signoffs.status(actor(request), message_id) if message["is_sender"] else None
    return await render(request, "im/h5/signoff.html", m=message, state=state, share_title=_("Sign-off message"))


@post("/h5/im/m/{message_id:int}/sign", guards=H5)
async def sign(request: Request, message_id: int) -> Response:
    try:
        with member_or_404():
            await signoffs.sign(actor(request), message_id)
    except Conflict as exc:
        return redirect(request, f"/h5/im/m/{message_id}", str(exc), "error")
    return redirect(request, f"/h5/im/m/{message_id}", _("Signed."))


@post("/h5/im/m/{message_id:int}/remind", guards=H5)
async def remind(request: Request, message_id: int) -> Response:
    with member_or_404():
        count = await signoffs.remind(actor(request), message_id)
    return redirect(request, f"/h5/im/m/{message_id}", _("Reminded %(n)s people.", n=count))


ROUTES = [show, sign, remind]

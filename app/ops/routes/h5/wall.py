"""An event's interaction on the phone (OPS-02): the wall (posts and replies by attendees, shown once moderated),
tipping a post with points, and the event album (attendees add photos, shown once approved)."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.web import actor, form_data, int_param, redirect, render
from app.ops import interaction
from app.ops.routes import service_errors
from app.ops.routes.h5 import H5, share, visible_event
from app.points import api as points


async def _wall(request: Request, event_id: int, error: str = "", body: str = "", status: int = 200) -> Response:
    event = await visible_event(request, event_id)
    who = actor(request)
    with service_errors():
        page = await interaction.wall(who, event_id, PageRequest.from_query(request.query_params))
    return await render(request, "ops/h5/wall.html", event=event, page=page, error=error, body=body,
                        may_post=await interaction.can_comment(who, event_id), tip_amounts=interaction.TIP_AMOUNTS,
                        nonce=interaction.tip_nonce(), balance=await points.balance(who.id) if who.id else 0,
                        status=status, **share(event))


@get("/h5/events/{event_id:int}/wall", guards=H5)
async def wall_page(request: Request, event_id: int) -> Response:
    return await _wall(request, event_id)


@post("/h5/events/{event_id:int}/wall", guards=H5)
async def wall_post(request: Request, event_id: int) -> Response:
    await visible_event(request, event_id)
    data = await form_data(request)
    body = str(data.get("body") or "")
    parent = int_param(data.get("parent"), 1)
    try:
        with service_errors():
            state = await interaction.post_to_wall(actor(request), event_id, body, parent)
    except Invalid as exc:
        return await _wall(request, event_id, exc.message, body, 422)
    return redirect(request, f"/h5/events/{event_id}/wall", _("Posted.") if state == "published" else
                    _("Thank you. Your post is shown once the organisers have approved it."))


@post("/h5/events/{event_id:int}/wall/{post_id:int}/tip", guards=H5)
async def wall_tip(request: Request, event_id: int, post_id: int) -> Response:
    await visible_event(request, event_id)
    data = await form_data(request)
    back = f"/h5/events/{event_id}/wall"
    try:
        with service_errors():
            done = await interaction.tip(actor(request), event_id, post_id, int_param(data.get("amount"), 1) or 0,
                                         str(data.get("nonce") or ""))
    except (Conflict, Invalid) as exc:
        return redirect(request, back, exc.message if isinstance(exc, Invalid) else str(exc), "error")
    except points.InsufficientPoints:
        return redirect(request, back, _("You do not have enough points."), "error")
    return redirect(request, back, _("Thank you for the tip!") if done else _("This tip was already given."))


async def _album(request: Request, event_id: int, error: str = "", status: int = 200) -> Response:
    event = await visible_event(request, event_id)
    who = actor(request)
    with service_errors():
        album, page = await interaction.album(who, event_id, PageRequest.from_query(request.query_params))
    return await render(request, "ops/h5/album.html", event=event, album=album, page=page, error=error,
                        may_upload=album is not None and await interaction.can_post(who, event_id), status=status,
                        **share(event))


@get("/h5/events/{event_id:int}/album", guards=H5)
async def album_page(request: Request, event_id: int) -> Response:
    return await _album(request, event_id)


@post("/h5/events/{event_id:int}/album", guards=H5)
async def album_upload(request: Request, event_id: int) -> Response:
    await visible_event(request, event_id)
    data = await form_data(request)
    upload = data.get("photo")
    if not getattr(upload, "filename", None):
        return await _album(request, event_id, _("Choose a file."), 422)
    try:
        with service_errors():
            shown = await interaction.add_album_photo(actor(request), event_id, upload.filename, await upload.read(),
                                                      str(data.get("caption") or ""))
    except (Invalid, Conflict) as exc:
        return await _album(request, event_id, exc.message if isinstance(exc, Invalid) else str(exc), 422)
    return redirect(request, f"/h5/events/{event_id}/album", _("Photo added.") if shown else
                    _("Thank you. Your photo is shown once the organisers have approved it."))


ROUTES = [wall_page, wall_post, wall_tip, album_page, album_upload]

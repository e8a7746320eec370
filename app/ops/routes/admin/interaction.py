"""An event's interaction on the desktop (OPS-02): wall on/off, pre-moderation of wall posts, tipping on/off, the
event album (opened here, photos added by organisers; attendees' photos wait in the shared moderation queue) and
the signed link of the big screen."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.urls import absolute
from app.core.web import actor, form_data, redirect, render
from app.ops import interaction
from app.ops.routes import service_errors
from app.ops.routes.admin import BASE, GUARD, event_ctx, managed_event


def _url(event_id: int) -> str:
    return f"{BASE}/{event_id}/interaction"


async def _page(request: Request, event: dict, error: str = "", status: int = 200) -> Response:
    who = actor(request)
    with service_errors():
        album, photos = await interaction.album(who, event["id"], PageRequest(per_page=24))
        wall = await interaction.wall(who, event["id"], PageRequest(per_page=10))
    token = interaction.screen_token(event["id"])
    return await render(request, "ops/admin/interaction.html", album=album, photos=photos, wall=wall,
                        moderated=await interaction.wall_moderated(event["id"]), error=error,
                        screen_url=absolute(f"/screen/events/{event['id']}?t={token}"), status=status,
                        **event_ctx(event, "interaction"))


@get(f"{BASE}/{{event_id:int}}/interaction", guards=GUARD)
async def interaction_page(request: Request, event_id: int) -> Response:
    return await _page(request, await managed_event(request, event_id))


@post(f"{BASE}/{{event_id:int}}/interaction", guards=GUARD)
async def interaction_save(request: Request, event_id: int) -> Response:
    await managed_event(request, event_id)
    data = await form_data(request)
    with service_errors():
        await interaction.set_interaction(actor(request), event_id, wall=bool(data.get("wall")),
                                          tips=bool(data.get("tips")), moderated=bool(data.get("moderated")))
    return redirect(request, _url(event_id), _("Saved."))


@post(f"{BASE}/{{event_id:int}}/album", guards=GUARD)
async def album_open_or_add(request: Request, event_id: int) -> Response:
    event = await managed_event(request, event_id)
    data = await form_data(request)
    who = actor(request)
    upload = data.get("photo")
    try:
        with service_errors():
            await interaction.album_id(who, event_id, create=True)
            if getattr(upload, "filename", None):
                await interaction.add_album_photo(who, event_id, upload.filename, await upload.read(),
                                                  str(data.get("caption") or ""))
    except (Invalid, Conflict) as exc:
        return await _page(request, event, exc.message if isinstance(exc, Invalid) else str(exc), 422)
    return redirect(request, _url(event_id), _("Photo added.") if getattr(upload, "filename", None)
                    else _("The album is open."))


ROUTES = [interaction_page, interaction_save, album_open_or_add]

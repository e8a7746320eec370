"""An event's interaction (OPS-02): the interaction wall, replies, the album and tipping, on the content platform —
an event is the content owner ("event", id): attendees (a place held and confirmed) post to the wall and reply
(moderated before they show, unless the organisers switch moderation off), organisers moderate in the shared
queue, albums are the platform's albums. Tipping (打赏) moves points from an attendee to a wall post's author
through the points API, keyed so a repeated request tips once. The big screen reads `screen_data`."""
from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

from app.content import api as content
from app.core import audit, db, security
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.ops import access, checkin, events
from app.ops.access import NotFound
from app.points import api as points

OWNER = "event"
WALL = "wall"  # the post kind of the interaction wall
TIP_AMOUNTS = (1, 5, 10, 20, 50)
SCREEN_PURPOSE = "ops.screen"
SCREEN_DAYS = 30  # a big-screen link works this long (projector PCs are not logged in)


def owner(event_id: int) -> tuple[str, int]:
    return (OWNER, int(event_id))


# --- the content owner hooks ------------------------------------------------------------------------------

async def _event(event_id: int) -> dict | None:
    try:
        return await events.get_event(int(event_id))
    except NotFound:
        return None


async def _attending(actor: Actor | None, event_id: int) -> bool:
    if actor is None or actor.id is None:
        return False
    return bool(await db.fetchval("SELECT 1 FROM ops_registration WHERE event = $1 AND \"user\" = $2 AND status ="
                                  " 'confirmed' LIMIT 1", int(event_id), actor.id))


async def can_view(actor: Actor | None, event_id: int) -> bool:
    event = await _event(event_id)
    return event is not None and (event["status"] in ("published", "closed") or await access.may_manage(actor, event))


async def can_post(actor: Actor, event_id: int) -> bool:
    """Album photos and (through open_post_kinds) nothing else: organisers, and attendees."""
    event = await _event(event_id)
    return event is not None and (await access.may_manage(actor, event) or await _attending(actor, event_id))


async def can_comment(actor: Actor, event_id: int) -> bool:
    """Wall posts and replies: attendees of an event whose wall is on, and its organisers."""
    event = await _event(event_id)
    if event is None or not event["wall_enabled"] or event["status"] not in ("published", "closed"):
        return False
    return await access.may_manage(actor, event) or await _attending(actor, event_id)


async def can_moderate(actor: Actor, event_id: int) -> bool:
    event = await _event(event_id)
    return event is not None and await access.may_manage(actor, event)


async def moderated_ids(actor: Actor) -> list[int] | None:
    """Every event for HQ event managers; else the events of the orgs the actor manages (the moderation queue)."""
    if actor.can(access.MANAGE):
        return None
    from app.orgs import api as orgs

    org_ids = await orgs.managed_org_ids(actor)
    if org_ids is None:
        return None
    rows = await db.fetch("SELECT id FROM ops_event WHERE owner_kind = 'org' AND owner_id = ANY($1::bigint[])",
                          list(org_ids))
    return [r["id"] for r in rows]


async def url(event_id: int) -> str:
    return f"/h5/events/{int(event_id)}/wall"


async def name(event_id: int) -> str:
    event = await _event(event_id)
    return event["title"] if event else ""


def register() -> None:
    content.register_owner(OWNER, L("Event"), can_view=can_view, can_post=can_post, can_moderate=can_moderate,
                           moderated_ids=moderated_ids, url=url, name=name, can_comment=can_comment,
                           open_post_kinds={WALL},
                           item_kinds={WALL: L("Interaction wall"), "album": L("Albums"), "photo": L("Album photos"),
                                       "comment": L("Comments")})


# --- settings ---------------------------------------------------------------------------------------------

async def set_interaction(actor: Actor, event_id: int, *, wall: bool, tips: bool, moderated: bool) -> None:
    async with db.transaction():
        event = await events.managed_event(actor, event_id)
        await db.execute("UPDATE ops_event SET wall_enabled = $2, tips_enabled = $3, updated_at = now(),"
                         " updated_by = $4 WHERE id = $1", event_id, wall, tips, actor.id)
        await audit.record(actor, "update", "ops_event", event_id,
                           before={"wall_enabled": event["wall_enabled"], "tips_enabled": event["tips_enabled"]},
                           after={"wall_enabled": wall, "tips_enabled": tips, "wall_moderated": moderated},
                           summary=event["title"])
    await content.set_moderation(actor, owner(event_id), WALL, moderated)


async def wall_moderated(event_id: int) -> bool:
    return await content.moderation_on(owner(event_id), WALL)


# --- the wall ---------------------------------------------------------------------------------------------

async def wall(viewer: Actor | None, event_id: int, req: PageRequest | None = None) -> Page:
    """Published wall posts, newest first, with replies and each post's tip total (the viewer's own pending
    posts too, marked)."""
    page = await content.list_posts(owner(event_id), kind=WALL, viewer=viewer, req=req or PageRequest())
    totals = await tip_totals(event_id, [p["id"] for p in page.items])
    for post in page.items:
        post["tips"] = totals.get(post["id"], 0)
    return page


async def post_to_wall(actor: Actor, event_id: int, body: str, parent_id: int | None = None) -> str:
    """A wall post or a reply; returns its status (published, or pending moderation). Raises NotAllowed for
    someone not attending, Invalid for an empty or too long text."""
    post_id = await content.create_post(actor, owner(event_id), kind=WALL, body=body, parent_id=parent_id)
    return (await content.get_post(post_id, actor))["status"]


# --- tipping ----------------------------------------------------------------------------------------------

def tip_nonce() -> str:
    """Put in each tip form: the same submitted form tips once."""
    return secrets.token_urlsafe(12)


async def tip(actor: Actor, event_id: int, post_id: int, amount: int, nonce: str) -> bool:
    """Give `amount` points to the author of a published wall post. Returns False when this form was already
    used (nothing more is taken). Raises Conflict (tips off, own post), Invalid (amount), NotFound (no such post),
    points.InsufficientPoints."""
    event = await _event(event_id)
    if event is None:
        raise NotFound()
    if not event["tips_enabled"]:
        raise Conflict(_("Tipping is not open at this event."))
    if amount not in TIP_AMOUNTS:
        raise Invalid("amount", _("Choose from the list."))
    nonce = (nonce or "").strip()[:24]
    if len(nonce) < 8:
        raise Invalid("amount", _("This form has expired: open the wall again."))
    post = await db.fetchrow("SELECT id, author, body FROM cnt_post WHERE id = $1 AND owner_kind = $2 AND owner_id"
                             " = $3 AND kind = $4 AND status = 'published' AND parent IS NULL", post_id, OWNER,
                             event_id, WALL)
    if post is None:
        raise NotFound()
    if post["author"] == actor.id:
        raise Conflict(_("You cannot tip your own post."))
    if not await can_comment(actor, event_id):
        raise access.NotAllowed()
    key = f"ops.tip:{actor.id}:{nonce}"
    async with db.transaction():
        inserted = await db.fetchval(
            "INSERT INTO ops_tip (event, post_id, giver, receiver, points, key) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (key) DO NOTHING RETURNING id", event_id, post_id, actor.id, post["author"], amount, key)
        if inserted is None:
            return False
        reason = _("Tip on “%(title)s”", title=event["title"])
        await points.spend(actor.id, amount, key=key, reason=reason, ref=f"ops_tip:{inserted}")
        await points.earn(post["author"], amount, key=f"{key}:in", reason=reason, ref=f"ops_tip:{inserted}")
        await audit.record(actor, "tip", "ops_tip", inserted, after={"post": post_id, "to": post["author"],
                                                                      "points": amount}, summary=event["title"])
    return True


async def tip_totals(event_id: int, post_ids: list[int]) -> dict[int, int]:
    if not post_ids:
        return {}
    rows = await db.fetch("SELECT post_id, sum(points) AS n FROM ops_tip WHERE event = $1 AND post_id ="
                          " ANY($2::bigint[]) GROUP BY post_id", event_id, post_ids)
    return {r["post_id"]: int(r["n"]) for r in rows}


# --- the album --------------------------------------------------------------------------------------------

async def album_id(actor: Actor, event_id: int, create: bool = False) -> int | None:
    """The event's album (one per event), created on first use by an organiser."""
    albums = await content.list_albums(owner(event_id), actor)
    if albums:
        return albums[0]["id"]
    if not create:
        return None
    event = await events.managed_event(actor, event_id)
    return await content.create_album(actor, owner(event_id), event["title"])


async def album(viewer: Actor | None, event_id: int, req: PageRequest | None = None) -> tuple[dict | None,
                                                                                            Page | None]:
    """The event's album and a page of its photos (None, None before the organisers open it)."""
    found = await album_id(viewer, event_id)
    if found is None:
        return None, None
    return await content.get_album(found, viewer), await content.list_photos(found, viewer, req or PageRequest())


async def add_album_photo(actor: Actor, event_id: int, filename: str, data: bytes, caption: str = "") -> bool:
    """An attendee's or organiser's photo (checked, EXIF stripped); True when shown at once, False when it waits
    for moderation. Raises Conflict before the album is open, Invalid for a refused file."""
    found = await album_id(actor, event_id)
    if found is None:
        raise Conflict(_("The organisers have not opened the album yet."))
    photo_id = await content.add_photo(actor, found, filename, data, caption[:200])
    return await db.fetchval("SELECT status FROM cnt_photo WHERE id = $1", photo_id) == "published"


# --- the big screen ---------------------------------------------------------------------------------------

def screen_token(event_id: int) -> str:
    return security.sign(SCREEN_PURPOSE, {"e": int(event_id)})


def screen_event_id(token: str) -> int | None:
    try:
        return int(security.unsign(SCREEN_PURPOSE, token, max_age=SCREEN_DAYS * 86400)["e"])
    except (security.TokenInvalid, security.TokenExpired, KeyError, TypeError, ValueError):
        return None


async def screen_data(event_id: int, wall_size: int = 12) -> dict:
    """What the big screen shows: the door figures, the newest published wall posts and the tip total. One
    small query each (the screen polls every few seconds)."""
    counts = await checkin.door_counts(event_id)
    posts = await db.fetch("SELECT p.id, p.body, p.created_at, u.name AS author_name FROM cnt_post p JOIN app_user u"
                           " ON u.id = p.author WHERE p.owner_kind = $1 AND p.owner_id = $2 AND p.kind = $3 AND"
                           " p.status = 'published' AND p.parent IS NULL ORDER BY p.id DESC LIMIT $4", OWNER,
                           event_id, WALL, wall_size)
    tips = await db.fetchval("SELECT COALESCE(sum(points), 0) FROM ops_tip WHERE event = $1", event_id)
    return {**counts, "posts": posts, "tips": int(tips),
            "version": f"{counts['arrived']}:{posts[0]['id'] if posts else 0}:{tips}"}


async def screen_updates(event_id: int, *, interval: float = 2.0, lifetime: float = 600.0) -> AsyncIterator[dict]:
    """The screen's data each time it changes (first at once), polled every `interval` seconds, for `lifetime`
    seconds (the browser's EventSource then reconnects: no connection lives for ever)."""
    seen = None
    ends = time.monotonic() + lifetime
    while time.monotonic() < ends:
        data = await screen_data(event_id)
        if data["version"] != seen:
            seen = data["version"]
            yield data
        await asyncio.sleep(interval)

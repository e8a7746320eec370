"""The micro-site of every active association (ORG-08 组织微平台), generated from its data at /o/<address>: intro,
contacts, council, member directory (members only), news, events, albums and guestbook, with WeChat share data.

Events: the operations module fills the events section — it registers a source with app.orgs.api
(register_event_source); until then the section says there are none."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.content import api as content
from app.core import cache, db
from app.core.audit import Actor
from app.core.pagination import PageRequest
from app.orgs import council, members, orgs
from app.orgs.content_link import GUESTBOOK, owner

# async fn(org_id, viewer) -> [{"title", "url", "starts_at", "place"}], newest first
EventSource = Callable[[int, Actor | None], Awaitable[list[dict]]]
EVENT_SOURCES: list[EventSource] = []


async def events(org_id: int, viewer: Actor | None, limit: int = 5) -> list[dict]:
    found: list[dict] = []
    for source in EVENT_SOURCES:
        found += await source(org_id, viewer)
    return found[:limit]


async def member_count(org_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM orgs_member WHERE org = $1 AND status = 'active'", org_id)


def share_description(org: dict) -> str:
    text = org["summary"] or content.plain_text(org["description"] or "")
    return text[:120] or org["name"]


# An anonymous visitor's front page (the crowd a link shared in a WeChat group brings) may lag this many seconds
# behind; a logged-in visitor always sees it live, with their own pending messages and membership.
PUBLIC_TTL = 10.0


async def _front(slug: str, who: Actor | None) -> dict:
    org = await orgs.by_slug(slug)
    own = owner(org["id"])
    return {
        "org": org,
        "council": await council.council(org["id"]),
        "member_count": await member_count(org["id"]),
        "news": (await content.list_articles(own, status="published", req=PageRequest(per_page=5))).items,
        "events": await events(org["id"], who),
        "albums": (await content.list_albums(own, who))[:6],
        "featured": (await content.list_posts(own, kind=GUESTBOOK, viewer=who, featured=True,
                                              include_own_pending=False, req=PageRequest(per_page=3))).items,
        "messages": await content.list_posts(own, kind=GUESTBOOK, viewer=who, featured=False,
                                             req=PageRequest(per_page=5)),
    }


async def home(viewer: Actor, slug: str) -> dict:
    """Everything the micro-site's front page shows, for this viewer (None-like actor: anonymous)."""
    if viewer.id is None:
        front = await cache.cached((orgs.SITE_CACHE, slug), PUBLIC_TTL, lambda: _front(slug, None))
        return {**front, "is_member": False, "pending": None, "can_manage": False}
    front = await _front(slug, viewer)
    org_id = front["org"]["id"]
    return {**front, "is_member": await members.is_member(viewer.id, org_id),
            "pending": await members.pending_request(viewer.id, org_id),
            "can_manage": orgs.may_manage(viewer, front["org"])}


async def news_page(slug: str, req: PageRequest) -> tuple[dict, object]:
    org = await orgs.by_slug(slug)
    return org, await content.list_articles(owner(org["id"]), status="published", req=req)


async def article(slug: str, article_id: int) -> tuple[dict, dict]:
    """A published article of this org (content.NotFound otherwise); its view is counted."""
    org = await orgs.by_slug(slug)
    row = await content.get_article(article_id)
    if row["owner"] != owner(org["id"]) or row["status"] != "published":
        raise content.NotFound()
    await content.record_view(article_id)
    return org, row


async def album(viewer: Actor, slug: str, album_id: int, req: PageRequest) -> tuple[dict, dict, object]:
    org = await orgs.by_slug(slug)
    who = viewer if viewer.id is not None else None
    row = await content.get_album(album_id, who)
    if row["owner"] != owner(org["id"]):
        raise content.NotFound()
    return org, row, await content.list_photos(album_id, who, req)


async def guestbook(viewer: Actor, slug: str, req: PageRequest) -> tuple[dict, object, list]:
    org = await orgs.by_slug(slug)
    who = viewer if viewer.id is not None else None
    own = owner(org["id"])
    featured = await content.list_posts(own, kind=GUESTBOOK, viewer=who, featured=True, include_own_pending=False,
                                        req=PageRequest(per_page=10))
    return org, await content.list_posts(own, kind=GUESTBOOK, viewer=who, featured=False, req=req), featured.items


async def leave_message(viewer: Actor, slug: str, body: str) -> str:
    """A guestbook message from a logged-in visitor; returns its status (published, or pending moderation)."""
    org = await orgs.by_slug(slug)
    post_id = await content.create_post(viewer, owner(org["id"]), kind=GUESTBOOK, body=body)
    return (await content.get_post(post_id, viewer))["status"]


async def upload_photo(viewer: Actor, slug: str, album_id: int, filename: str, data: bytes, caption: str) -> str:
    """A member's photo into one of the org's albums; returns its status (published, or pending moderation)."""
    org, row, _page = await album(viewer, slug, album_id, PageRequest(per_page=1))
    photo_id = await content.add_photo(viewer, row["id"], filename, data, caption)
    photos = await content.list_photos(row["id"], viewer, PageRequest(per_page=100))
    return next((p["status"] for p in photos.items if p["id"] == photo_id), "pending")

"""The org admin on a phone (ORG-09 手机端组织管理): what waits for one org's admins — join requests, album photos
(and albums) and guestbook messages pending moderation — and the latest messages to reply to. Decisions go through
members.decide and the content platform's approve / reject; this file only gathers and checks what belongs to the
org, so an item of another org is never decided through this org's pages."""
from __future__ import annotations

from app.content import api as content
from app.core.audit import Actor
from app.core.pagination import PageRequest
from app.orgs import admins, members, orgs
from app.orgs.content_link import GUESTBOOK, owner

KINDS = ("photo", "album", "post")


async def my_orgs(actor: Actor) -> list[dict]:
    """The orgs this admin manages, each with how many join requests wait."""
    ids = await admins.managed_ids(actor)
    page = await orgs.list_orgs(actor, orgs.OrgFilters(), PageRequest(per_page=100))
    return [o for o in page.items if ids is None or o["id"] in ids]


async def pending_content(actor: Actor, org_id: int) -> dict[str, list[dict]]:
    """The org's items waiting for moderation: {"photo": [...], "album": [...], "post": [...]} (post = guestbook)."""
    own = owner(org_id)
    albums = await content.list_albums(own, actor)
    photos: list[dict] = []
    for album in albums:
        page = await content.list_photos(album["id"], actor, PageRequest(per_page=100))
        photos += [{**p, "album_title": album["title"]} for p in page.items if p["status"] == "pending"]
    posts = await content.list_posts(own, kind=GUESTBOOK, viewer=actor, status="pending", req=PageRequest(per_page=50))
    return {"photo": photos, "album": [a for a in albums if a["status"] == "pending"], "post": posts.items}


async def overview(actor: Actor, org_id: int) -> dict:
    org = await orgs.for_manager(actor, org_id)
    requests = await members.list_requests(actor, org_id, "pending", PageRequest(per_page=50))
    recent = await content.list_posts(owner(org_id), kind=GUESTBOOK, viewer=actor, include_own_pending=False,
                                      req=PageRequest(per_page=10))
    return {"org": org, "requests": requests.items, "pending": await pending_content(actor, org_id),
            "recent": recent.items}


async def pending_item(actor: Actor, org_id: int, item_kind: str, item_id: int) -> dict:
    """One of the org's pending items (content.NotFound when it is not this org's or not waiting)."""
    await orgs.for_manager(actor, org_id)
    if item_kind not in KINDS:
        raise content.NotFound()
    found = next((i for i in (await pending_content(actor, org_id))[item_kind] if i["id"] == item_id), None)
    if found is None:
        raise content.NotFound()
    return found


async def decide(actor: Actor, org_id: int, item_kind: str, item_id: int, approve: bool, reason: str = "") -> None:
    await pending_item(actor, org_id, item_kind, item_id)
    if approve:
        await content.approve(actor, item_kind, item_id)
    else:
        await content.reject(actor, item_kind, item_id, reason)


async def reply(actor: Actor, org_id: int, post_id: int, body: str) -> None:
    """An admin answers a guestbook message of this org."""
    await orgs.for_manager(actor, org_id)
    post = await content.get_post(post_id, actor)
    if post["owner"] != owner(org_id) or post["kind"] != GUESTBOOK:
        raise content.NotFound()
    await content.create_post(actor, owner(org_id), kind=GUESTBOOK, body=body, parent_id=post_id)

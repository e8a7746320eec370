"""The orgs module's side of the content platform (app.content.api): an org's news, albums and guestbook are
content owned by ("org", id). This file registers the owner kind "org" — who may
view (anyone, for an active org), post (its members and admins), comment (any logged-in visitor) and moderate
(the org's admins, by data scope). The news, album and guestbook pages call app.content.api with owner(org_id)."""
from __future__ import annotations

from app.core import cache
from app.core.audit import Actor
from app.core.i18n import lazy as L

OWNER = "org"
GUESTBOOK = "guestbook"  # the post kind of an org's guestbook messages (and their replies)


def owner(org_id: int) -> tuple[str, int]:
    return (OWNER, int(org_id))


# --- the owner hooks ------------------------------------------------------------------------------------

HOOK_ROW_TTL = 2.0  # one page asks the hooks about the same org several times; a status change counts after 2 s


async def _org(org_id: int) -> dict | None:
    from app.orgs import orgs

    async def load() -> dict | None:
        try:
            return await orgs.get(int(org_id))
        except orgs.NotFound:
            return None

    return await cache.cached((orgs.ROW_CACHE, int(org_id)), HOOK_ROW_TTL, load)


async def can_view(actor: Actor | None, org_id: int) -> bool:
    from app.orgs import orgs

    org = await _org(org_id)
    if org is None:
        return False
    return org["status"] == "active" or orgs.may_manage(actor, org)


async def can_post(actor: Actor, org_id: int) -> bool:
    from app.orgs import members, orgs

    org = await _org(org_id)
    if org is None or actor is None:
        return False
    if orgs.may_manage(actor, org):
        return True
    return org["status"] == "active" and await members.is_member(actor.id, org["id"])


async def can_comment(actor: Actor, org_id: int) -> bool:
    org = await _org(org_id)
    return org is not None and org["status"] == "active" and actor is not None and actor.id is not None


async def can_moderate(actor: Actor, org_id: int) -> bool:
    from app.orgs import orgs

    org = await _org(org_id)
    return org is not None and orgs.may_manage(actor, org)


async def moderated_ids(actor: Actor) -> list[int] | None:
    from app.orgs import admins

    return await admins.managed_ids(actor)


async def url(org_id: int) -> str:
    org = await _org(org_id)
    return f"/o/{org['slug']}" if org else "/h5/orgs"


async def name(org_id: int) -> str:
    org = await _org(org_id)
    return org["name"] if org else ""


def register() -> None:
    """Registers the owner kind "org" with the content platform (module setup)."""
    from app.content import api as content

    content.register_owner(OWNER, L("Alumni association"), can_view=can_view, can_post=can_post,
                           can_moderate=can_moderate, moderated_ids=moderated_ids, url=url, name=name,
                           can_comment=can_comment, open_post_kinds={GUESTBOOK},
                           item_kinds={"article": L("News"), "album": L("Albums"), "photo": L("Album photos"),
                                       GUESTBOOK: L("Guestbook messages"), "comment": L("Comments")})

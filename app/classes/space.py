"""The class space's content (CLS-04 stories 班级故事, posts 班级动态, albums 班级相册) through the shared
content platform: this module registers the owner kind "class" with the hooks content asks before it shows or
changes anything, and the class pages call content's api. Compliance checks (the dictionary's sensitive
words, image type and size) and moderation (on or off per class and item kind) happen inside content.

Hooks: view — members, liaisons and staff in scope; post — active members and liaisons of an active class;
moderate — the class's managers (liaisons, college admins with classes.manage in scope)."""
from __future__ import annotations

from datetime import datetime

from app.classes import classes
from app.core.audit import Actor
from app.core.i18n import lazy as L

OWNER = "class"
POST_KINDS = {"story": L("Class stories"), "post": L("Class posts")}
MODERATED_KINDS = {"story": L("Class stories"), "post": L("Class posts"), "album": L("Albums"),
                   "photo": L("Album photos")}


def owner(class_id: int) -> tuple[str, int]:
    return (OWNER, int(class_id))


async def _class(class_id: int) -> dict | None:
    try:
        return await classes.get(int(class_id))
    except classes.NotFound:
        return None


async def can_view(actor: Actor | None, class_id: int) -> bool:
    klass = await _class(class_id)
    return klass is not None and await classes.can_view(actor, klass)


async def can_post(actor: Actor, class_id: int) -> bool:
    klass = await _class(class_id)
    if klass is None or klass["status"] != "active" or actor is None:
        return False
    return await classes.is_member(actor.id, klass["id"]) or await classes.is_liaison(actor.id, klass["id"])


async def can_moderate(actor: Actor, class_id: int) -> bool:
    klass = await _class(class_id)
    return klass is not None and await classes.can_manage(actor, klass)


async def url(class_id: int) -> str:
    return f"/h5/classes/{int(class_id)}"


async def name(class_id: int) -> str:
    klass = await _class(class_id)
    return klass["name"] if klass else ""


def register_owner() -> None:
    from app.content import api as content

    content.register_owner(OWNER, L("Class"), can_view=can_view, can_post=can_post, can_moderate=can_moderate,
                           moderated_ids=classes.managed_ids, url=url, name=name)


# --- what the cohesion ranking counts ---------------------------------------------------------------------

async def post_counts(class_ids: list[int], since: datetime) -> dict[int, int]:
    """Published stories and posts per class since `since`."""
    from app.content import api as content

    found = await content.count_posts_by_owner(OWNER, class_ids, tuple(POST_KINDS), since)
    return {class_id: found.get(class_id, 0) for class_id in class_ids}


async def photo_counts(class_ids: list[int]) -> dict[int, int]:
    """Published album photos per class."""
    from app.content import api as content

    found = await content.count_photos_by_owner(OWNER, class_ids)
    return {class_id: found.get(class_id, 0) for class_id in class_ids}


# --- moderation settings (on or off per class and item kind) ---------------------------------------------

async def moderation_settings(class_id: int) -> dict[str, bool]:
    from app.content import api as content

    return {kind: await content.moderation_on(owner(class_id), kind) for kind in MODERATED_KINDS}


async def set_moderation(actor: Actor, class_id: int, kind: str, on: bool) -> None:
    """Only the class's managers (403, audited, for anyone else); content audits the change itself."""
    from app.content import api as content

    if kind not in MODERATED_KINDS:
        raise classes.NotFound(kind)
    await classes.ensure_manage(actor, await classes.get(class_id), f"moderation {kind}")
    await content.set_moderation(actor, owner(class_id), kind, on)


# --- the class page ---------------------------------------------------------------------------------------

async def overview(viewer: Actor, class_id: int) -> dict:
    """What the class's home page shows this viewer: the class, their standing (member, liaison, manager), their
    pending requests, and — for those who may see the inside — the latest stories and posts, the albums, the
    events (CLS-05 hook), the liaisons."""
    from app.classes import events, liaisons, roster
    from app.content import api as content
    from app.core.pagination import PageRequest

    klass = await classes.get(class_id)
    member = await classes.is_member(viewer.id, class_id)
    liaison = await classes.is_liaison(viewer.id, class_id)
    inside = await classes.can_view(viewer, klass)
    out = {"klass": klass, "member": member, "liaison": liaison, "inside": inside,
           "manager": await classes.can_manage(viewer, klass),
           "requests": [r for r in await roster.my_requests(viewer.id, class_id) if r["status"] == "pending"],
           "liaisons": await liaisons.list_for(class_id), "stories": [], "posts": [], "albums": [], "events": []}
    if inside:
        latest = PageRequest(per_page=3)
        out["stories"] = (await content.list_posts(owner(class_id), kind="story", viewer=viewer, req=latest)).items
        out["posts"] = (await content.list_posts(owner(class_id), kind="post", viewer=viewer, req=latest)).items
        out["albums"] = (await content.list_albums(owner(class_id), viewer))[:4]
        out["events"] = await events.events_for(class_id, viewer)
    return out


async def home(viewer: Actor) -> dict:
    """The alumnus' "My classes" page: first joins them to the classes of a record linked since the last
    generation (idempotent), then their classes, requests, applications and profile status."""
    from app.classes import applications, generation, profiles, roster

    await generation.join_user(viewer.id)
    return {"mine": await classes.my_classes(viewer.id), "requests": await roster.my_requests(viewer.id),
            "apps": await applications.mine(viewer.id), "profile": await profiles.status(viewer.id)}


async def manage_page(actor: Actor, class_id: int) -> dict:
    """The liaison's page (403, audited, for anyone else): pending join/leave requests, the class's items
    waiting for moderation, the moderation settings."""
    from app.classes import roster
    from app.content import api as content
    from app.core.pagination import PageRequest

    klass = await classes.get(class_id)
    await classes.ensure_manage(actor, klass, "manage page")
    queue = await content.moderation_queue(actor, req=PageRequest(per_page=100))
    items = [q for q in queue.items if (q["owner_kind"], q["owner_id"]) == owner(class_id)]
    return {"klass": klass, "requests": await roster.pending(class_id), "queue": items,
            "settings": await moderation_settings(class_id)}


async def moderate(actor: Actor, class_id: int, item_kind: str, item_id: int, approve: bool, reason: str = "") -> None:
    """Approve or reject one of the class's pending items: the class's managers only (403, audited)."""
    from app.content import api as content
    from app.core import audit
    from app.core.permissions import PermissionDenied

    klass = await classes.get(class_id)
    await classes.ensure_manage(actor, klass, f"moderate {item_kind} {item_id}")
    try:  # content checks the item's own owner: another class's item is refused there
        if approve:
            await content.approve(actor, item_kind, item_id)
        else:
            await content.reject(actor, item_kind, item_id, reason)
    except content.NotAllowed:
        await audit.record(actor, "denied", classes.ENTITY, class_id, summary=f"moderate {item_kind} {item_id}",
                           org_id=klass["org_id"])
        raise PermissionDenied() from None


async def save_moderation(actor: Actor, class_id: int, chosen: dict[str, bool]) -> int:
    """Moderation on/off for each item kind of the class (only the changed ones are written); returns how many
    changed."""
    current = await moderation_settings(class_id)
    changed = [kind for kind in MODERATED_KINDS if bool(chosen.get(kind)) != current[kind]]
    for kind in changed:
        await set_moderation(actor, class_id, kind, bool(chosen.get(kind)))
    if not changed:
        await classes.ensure_manage(actor, await classes.get(class_id), "moderation settings")
    return len(changed)

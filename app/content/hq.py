"""The HQ owner ("hq", 0): the alumni association's own news site (/h5/news), edited by holders of
content.hq.publish, who also decide the articles chapters submit. Everyone may read and comment on it;
HQ editors and content.moderate staff moderate it."""
from __future__ import annotations

from app.content import owners
from app.core import settings_store
from app.core.audit import Actor
from app.core.i18n import lazy as L

KIND = "hq"
HQ = (KIND, 0)
PUBLISH = "content.hq.publish"


async def _can_view(actor: Actor | None, owner_id: int) -> bool:
    return owner_id == 0


async def _can_post(actor: Actor, owner_id: int) -> bool:
    return owner_id == 0 and actor.can(PUBLISH)


async def _can_moderate(actor: Actor, owner_id: int) -> bool:
    return owner_id == 0 and (actor.can(PUBLISH) or actor.can(owners.MODERATE_ALL))


async def _moderated_ids(actor: Actor) -> list[int]:
    return [0] if actor.can(PUBLISH) or actor.can(owners.MODERATE_ALL) else []


async def _url(owner_id: int) -> str:
    return "/h5/news"


async def _name(owner_id: int) -> str:
    return str(await settings_store.get("site.name"))


def register() -> None:
    owners.register_owner(KIND, L("Alumni association HQ"), can_view=_can_view, can_post=_can_post,
                          can_moderate=_can_moderate, moderated_ids=_moderated_ids, url=_url, name=_name,
                          submission_permission=PUBLISH)

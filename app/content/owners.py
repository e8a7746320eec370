"""Who owns content and who may do what with it. Every article, post, album, photo and comment belongs to an
owner `(kind, id)` — ("org", 12), ("class", 7), ("hq", 0) — and the module that owns that kind registers, at
setup, the async hooks content asks before it shows or changes anything: permission stays with the owner's
module, content never imports it.

    can_view(actor | None, owner_id) -> bool      see published items (None: an anonymous visitor)
    can_post(actor, owner_id) -> bool             publish articles, create albums, post
    can_moderate(actor, owner_id) -> bool         approve / reject, feature, edit settings
    moderated_ids(actor) -> list[int] | None      the owner ids the actor moderates (None = all of them)
    url(owner_id) -> str                          the owner's page (links from the moderation queue)
    name(owner_id) -> str                         (optional) the owner's display name
    can_comment(actor, owner_id) -> bool          (optional; default: can_view) write comments and replies
    submission_permission="perm"                  (optional) articles may be submitted here; todo permission
    open_post_kinds={"message"}                   (optional) post kinds open to everyone who may comment
    item_kinds={"story": N_("Stories"), …}        (optional) kinds on the owner's moderation settings page
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest

Owner = tuple[str, int]
MODERATE_ALL = "content.moderate"  # HQ staff: every owner's queue
FIRST_PAGE = PageRequest()


class NotAllowed(Exception):
    """The owner's module refuses this actor (the HTTP layer answers 403)."""


class NotFound(Exception):
    """No such item (or not one this caller may know about): 404."""


@dataclass(frozen=True)
class OwnerKind:
    kind: str
    label: Any
    can_view: Callable[[Actor | None, int], Awaitable[bool]]
    can_post: Callable[[Actor, int], Awaitable[bool]]
    can_moderate: Callable[[Actor, int], Awaitable[bool]]
    moderated_ids: Callable[[Actor], Awaitable[list[int] | None]]
    url: Callable[[int], Awaitable[str]]
    name: Callable[[int], Awaitable[str]] | None = None
    can_comment: Callable[[Actor, int], Awaitable[bool]] | None = None
    # (optional) articles may be submitted to this owner; the todo goes to holders of this permission
    submission_permission: str = ""
    # post kinds anyone who may comment can start (a guestbook's "message"); other kinds need can_post
    open_post_kinds: frozenset[str] = frozenset()
    # {item kind: label} offered on the owner's moderation settings page (None: article, album, photo, comment)
    item_kinds: dict[str, Any] | None = None


_KINDS: dict[str, OwnerKind] = {}


def register_owner(kind: str, label: Any, *, can_view, can_post, can_moderate, moderated_ids, url, name=None,
                   can_comment=None, submission_permission: str = "", open_post_kinds=(),
                   item_kinds: dict[str, Any] | None = None) -> None:
    """Called from a module's setup; registering a kind again replaces its hooks (tests register their own)."""
    if not kind or len(kind) > 16:
        raise ValueError(f"owner kind {kind!r}: 1 to 16 characters")
    _KINDS[kind] = OwnerKind(kind, label, can_view, can_post, can_moderate, moderated_ids, url, name, can_comment,
                             submission_permission, frozenset(open_post_kinds), item_kinds)


def unregister_owner(kind: str) -> None:
    """Forget a kind (tests that registered their own)."""
    _KINDS.pop(kind, None)


def kinds() -> dict[str, OwnerKind]:
    return dict(_KINDS)


def owner_kind(kind: str) -> OwnerKind:
    found = _KINDS.get(kind)
    if found is None:
        raise Invalid("owner", _("Unknown content owner %(kind)s.", kind=kind))
    return found


def as_owner(owner: Any) -> Owner:
    """("org", 12) from a tuple/list; an unregistered kind or a bad id is Invalid."""
    try:
        kind, owner_id = owner
        owner_id = int(owner_id)
    except (TypeError, ValueError):
        raise Invalid("owner", _("Unknown content owner %(kind)s.", kind=str(owner))) from None
    owner_kind(str(kind))
    return str(kind), owner_id


def _known(actor: Actor | None) -> bool:
    return actor is not None and (actor.id is not None or actor.is_superuser)


def _super(actor: Actor | None) -> bool:
    """Superusers and the system actor (jobs, demo data) pass every owner's hooks, like every permission."""
    return actor is not None and actor.is_superuser


async def can_view(actor: Actor | None, owner: Owner) -> bool:
    if _super(actor):
        return True
    return bool(await owner_kind(owner[0]).can_view(actor if _known(actor) else None, owner[1]))


async def can_post(actor: Actor | None, owner: Owner) -> bool:
    if _super(actor):
        return True
    return _known(actor) and bool(await owner_kind(owner[0]).can_post(actor, owner[1]))


async def can_moderate(actor: Actor | None, owner: Owner) -> bool:
    if not _known(actor):
        return False
    if _super(actor) or actor.can(MODERATE_ALL):
        return True
    return bool(await owner_kind(owner[0]).can_moderate(actor, owner[1]))


async def can_comment(actor: Actor | None, owner: Owner) -> bool:
    if not _known(actor):
        return False
    if _super(actor):
        return True
    hook = owner_kind(owner[0]).can_comment
    return bool(await (hook or owner_kind(owner[0]).can_view)(actor, owner[1]))


async def moderated(actor: Actor | None) -> dict[str, list[int] | None]:
    """{kind: ids or None (all)} of the owners this actor moderates; kinds with none are left out."""
    if not _known(actor):
        return {}
    if actor.can(MODERATE_ALL):  # superusers too (Actor.can)
        return {kind: None for kind in _KINDS}
    out: dict[str, list[int] | None] = {}
    for kind, hooks in _KINDS.items():
        ids = await hooks.moderated_ids(actor)
        if ids is None or ids:
            out[kind] = None if ids is None else sorted({int(i) for i in ids})
    return out


async def moderates_any(actor: Actor | None) -> bool:
    return bool(await moderated(actor))


async def require(check, actor: Actor | None, owner: Owner) -> None:
    if not await check(actor, owner):
        raise NotAllowed()


async def owner_name(owner: Owner) -> str:
    hooks = owner_kind(owner[0])
    if hooks.name is not None:
        name = await hooks.name(owner[1])
        if name:
            return str(name)
    return f"{hooks.label} #{owner[1]}"


async def owner_url(owner: Owner) -> str:
    return str(await owner_kind(owner[0]).url(owner[1]))

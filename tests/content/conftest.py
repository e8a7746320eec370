"""A test owner kind, "club", whose hooks answer from sets of user ids the test controls (as the orgs and
classes modules answer from their membership tables), and users to act as."""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field

import pytest
from PIL import Image

from app.content import owners
from app.core.audit import Actor
from app.core.security import hash_password

PASSWORD = "Club2026pass!"


@dataclass
class Club:
    """Who may do what in club #1 (and #2, a different club nobody here moderates)."""
    public: bool = True  # anonymous visitors may view
    members: set[int] = field(default_factory=set)  # may view (when not public) and post
    moderators: set[int] = field(default_factory=set)
    owner: tuple = ("club", 1)

    async def can_view(self, actor, owner_id: int) -> bool:
        return self.public or (actor is not None and (actor.id in self.members or actor.id in self.moderators))

    async def can_post(self, actor, owner_id: int) -> bool:
        return actor.id in self.members or actor.id in self.moderators

    async def can_moderate(self, actor, owner_id: int) -> bool:
        return owner_id == 1 and actor.id in self.moderators

    async def moderated_ids(self, actor) -> list[int]:
        return [1] if actor.id in self.moderators else []

    async def url(self, owner_id: int) -> str:
        return f"/h5/clubs/{owner_id}"

    async def name(self, owner_id: int) -> str:
        return f"测试俱乐部{owner_id}"


@pytest.fixture
def club(db):
    rules = Club()
    owners.register_owner("club", "Club", can_view=rules.can_view, can_post=rules.can_post,
                          can_moderate=rules.can_moderate, moderated_ids=rules.moderated_ids, url=rules.url,
                          name=rules.name, open_post_kinds={"message"})
    yield rules
    owners.unregister_owner("club")


@pytest.fixture
def make_user(db):
    async def _make(name: str = "校友", perms: tuple[str, ...] = ()) -> Actor:
        username = f"c{uuid.uuid4().hex[:10]}"
        user_id = await db.fetchval("INSERT INTO app_user (username, name, kind, password_hash) VALUES"
                                    " ($1, $2, 'alumni', $3) RETURNING id", username, name, hash_password(PASSWORD))
        return Actor(user_id, username, perms=frozenset(perms))

    return _make


def jpeg(width: int = 800, height: int = 600, color=(200, 40, 40), exif: bytes | None = None) -> bytes:
    """A JPEG of one colour, or of noise (color=None: it does not compress, for size limits)."""
    image = (Image.new("RGB", (width, height), color) if color
             else Image.effect_noise((width, height), 90).convert("RGB"))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **({"exif": exif} if exif else {}))
    return out.getvalue()


def png(width: int = 64, height: int = 64, alpha: bool = False) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if alpha else "RGB", (width, height), (10, 120, 200, 128) if alpha else (10, 120, 200)).save(
        out, "PNG")
    return out.getvalue()

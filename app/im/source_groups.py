"""Class and org groups made by themselves (IM-02): every alumni association and class space a user belongs to
has its group chat, created from the orgs / classes modules on first need with all their members, and the
user joins it when their chat list opens. Someone who left such a group is not put back."""
from __future__ import annotations

from app.classes import api as classes_api
from app.core import db
from app.core.audit import SYSTEM
from app.core.forms import Conflict
from app.im import conversations
from app.orgs import api as orgs_api


async def _wanted(user_id: int) -> list[tuple[str, str]]:
    orgs = [(f"org:{o['id']}", o["name"]) for o in await orgs_api.member_orgs(user_id)]
    classes = [(f"class:{c['id']}", c["name"]) for c in await classes_api.classes_of_user(user_id)]
    return orgs + classes


async def _members(source: str) -> list[int]:
    kind, _, ident = source.partition(":")
    ids = await (orgs_api.member_user_ids(int(ident)) if kind == "org" else classes_api.member_user_ids(int(ident)))
    return ids[:await conversations.group_limit()]


async def ensure_for_user(user_id: int) -> int:
    """Create the user's missing org/class groups and add the user where absent; returns groups joined."""
    wanted = await _wanted(user_id)
    if not wanted:
        return 0
    rows = await db.fetch(
        'SELECT c.id, c.source, m.id AS membership FROM im_conversation c LEFT JOIN im_member m'
        ' ON m.conversation = c.id AND m."user" = $2 WHERE c.source = ANY($1::varchar[])',
        [s for s, _t in wanted], user_id)
    found = {r["source"]: r for r in rows}
    joined = 0
    for source, title in wanted:
        row = found.get(source)
        if row is None:
            try:
                await conversations.create_group(SYSTEM, title, await _members(source), source=source)
                joined += 1
            except Conflict:  # made by someone else's list at the same moment
                pass
        elif row["membership"] is None:
            added = await db.fetchval(
                'INSERT INTO im_member (conversation, "user") SELECT $1, $2 WHERE (SELECT count(*) FROM im_member'
                " WHERE conversation = $1 AND left_at IS NULL) < (SELECT member_limit FROM im_conversation WHERE"
                ' id = $1) ON CONFLICT (conversation, "user") DO NOTHING RETURNING id', row["id"], user_id)
            if added:
                await conversations.announce_join(row["id"], [user_id])
                joined += 1
    return joined

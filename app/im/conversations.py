"""Conversations (IM-01, IM-02, IM-03): 1:1 chats made once per pair, groups with owner/admins and a member
limit, membership checks every route goes through, and the chat list with unread counts."""
from __future__ import annotations

import json
import re

from app.core import audit, db, realtime, settings_store
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest

CHANNEL = "im"
DEFAULT_GROUP_LIMIT = 1000
HARD_GROUP_LIMIT = 5000
_MENTION = re.compile(r"@([^\s@,，:：]{1,64})")


class NotMember(Exception):
    """The conversation does not exist for this user (another user's id in a URL looks the same as none)."""


async def group_limit() -> int:
    configured = await settings_store.get("im.group_limit", DEFAULT_GROUP_LIMIT)
    try:
        return max(2, min(HARD_GROUP_LIMIT, int(configured)))
    except (TypeError, ValueError):
        return DEFAULT_GROUP_LIMIT


async def _active_users(ids: list[int]) -> list[int]:
    rows = await db.fetch("SELECT id FROM app_user WHERE id = ANY($1::bigint[]) AND is_active", ids)
    return [r["id"] for r in rows]


async def announce_join(conversation: int, users: list[int]) -> None:
    """Open streams of these users start receiving the conversation's events."""
    await realtime.publish(CHANNEL, json.dumps({"k": "join", "c": conversation, "u": users}))


async def direct(actor: Actor, other: int) -> int:
    """The 1:1 conversation of the actor with `other`, made on first use."""
    if other == actor.id:
        raise Invalid("user", _("You cannot start a chat with yourself."))
    if not await _active_users([other]):
        raise Invalid("user", _("No such user."))
    pair = f"{min(actor.id, other)}:{max(actor.id, other)}"
    found = await db.fetchval("SELECT id FROM im_conversation WHERE pair = $1", pair)
    if found:
        return found
    async with db.transaction():
        conversation = await db.fetchval(
            "INSERT INTO im_conversation (kind, pair, member_limit, created_by, updated_by) VALUES ('direct', $1, 2,"
            " $2, $2) ON CONFLICT (pair) DO NOTHING RETURNING id", pair, actor.id)
        if conversation is None:  # made by the other side at the same moment
            return await db.fetchval("SELECT id FROM im_conversation WHERE pair = $1", pair)
        await db.execute('INSERT INTO im_member (conversation, "user", role) SELECT $1, u, \'member\''
                         " FROM unnest($2::bigint[]) u", conversation, [actor.id, other])
        await audit.record(actor, "create", "im_conversation", conversation, after={"kind": "direct", "with": other})
    await announce_join(conversation, [actor.id, other])
    return conversation


async def create_group(actor: Actor, title: str, members: list[int], *, source: str | None = None,
                       temporary: bool = False) -> int:
    title = (title or "").strip()
    if not title:
        raise Invalid("title", _("Give the group a name."))
    if len(title) > 100:
        raise Invalid("title", _("At most %(n)s characters.", n=100))
    limit = await group_limit()
    wanted = sorted({*members, *([actor.id] if actor.id else [])})
    users = await _active_users(wanted)
    if len(users) > limit:
        raise Invalid("members", _("A group has at most %(n)s members.", n=limit))
    async with db.transaction():
        conversation = await db.fetchval(
            "INSERT INTO im_conversation (kind, title, source, member_limit, temporary, created_by, updated_by)"
            " VALUES ('group', $1, $2, $3, $4, $5, $5) ON CONFLICT (source) DO NOTHING RETURNING id",
            title, source, limit, temporary, actor.id)
        if conversation is None:
            raise Conflict(_("This group exists already."))
        await db.execute(
            'INSERT INTO im_member (conversation, "user", role) SELECT $1, u, CASE WHEN u = $3 THEN \'owner\''
            " ELSE 'member' END FROM unnest($2::bigint[]) u", conversation, users, actor.id or 0)
        await audit.record(actor, "create", "im_conversation", conversation,
                           after={"kind": "group", "title": title, "members": len(users), "source": source})
    await announce_join(conversation, users)
    return conversation


async def member(conversation: int, user_id: int) -> dict | None:
    return await db.fetchrow(
        'SELECT m.*, c.kind, c.title, c.member_limit FROM im_member m JOIN im_conversation c ON c.id = m.conversation'
        ' WHERE m.conversation = $1 AND m."user" = $2 AND m.left_at IS NULL', conversation, user_id)


async def require_member(actor: Actor, conversation: int) -> dict:
    """The actor's membership, or NotMember (audited: someone tried a conversation that is not theirs)."""
    found = await member(conversation, actor.id) if actor.id else None
    if found is None:
        await audit.record(actor, "refused", "im_conversation", conversation, summary="not a member")
        raise NotMember()
    return found


async def add_members(actor: Actor, conversation: int, users: list[int]) -> int:
    me = await require_member(actor, conversation)
    if me["kind"] != "group":
        raise Conflict(_("People are added to groups, not to 1:1 chats."))
    if me["role"] not in ("owner", "admin"):
        raise Conflict(_("Only the group's owner and admins can add members."))
    users = await _active_users(users)
    async with db.transaction():
        await db.execute("SELECT id FROM im_conversation WHERE id = $1 FOR UPDATE", conversation)
        count = await db.fetchval("SELECT count(*) FROM im_member WHERE conversation = $1 AND left_at IS NULL",
                                  conversation)
        added = await db.fetch(
            'INSERT INTO im_member (conversation, "user") SELECT $1, u FROM unnest($2::bigint[]) u'
            ' ON CONFLICT (conversation, "user") DO UPDATE SET left_at = NULL, joined_at = now()'
            ' WHERE im_member.left_at IS NOT NULL RETURNING "user"', conversation, users)
        if count + len(added) > me["member_limit"]:
            raise Invalid("members", _("A group has at most %(n)s members.", n=me["member_limit"]))
        await audit.record(actor, "add_members", "im_conversation", conversation,
                           after={"users": [r["user"] for r in added]})
    ids = [r["user"] for r in added]
    if ids:
        await announce_join(conversation, ids)
    return len(ids)


async def conversation_ids(user_id: int) -> list[int]:
    rows = await db.fetch('SELECT conversation FROM im_member WHERE "user" = $1 AND left_at IS NULL', user_id)
    return [r["conversation"] for r in rows]


async def chat_list(user_id: int, req: PageRequest) -> Page:
    """The user's conversations, newest activity first: title (the other person's name for 1:1), the last
    message's preview and the unread count."""
    total = await db.fetchval('SELECT count(*) FROM im_member WHERE "user" = $1 AND left_at IS NULL', user_id)
    rows = await db.fetch(
        "SELECT c.id, c.kind, c.last_at, c.last_message, m.muted, om.\"user\" AS other,"
        " CASE WHEN c.kind = 'direct' THEN coalesce(nullif(o.name, ''), o.username) ELSE c.title END AS title,"
        " (SELECT count(*) FROM im_message x WHERE x.conversation = c.id AND x.id > m.read_upto"
        "   AND x.sender IS DISTINCT FROM $1 AND x.recalled_at IS NULL) AS unread,"
        " lm.body AS last_body, lm.kind AS last_kind, lm.recalled_at AS last_recalled"
        " FROM im_member m JOIN im_conversation c ON c.id = m.conversation"
        " LEFT JOIN im_member om ON c.kind = 'direct' AND om.conversation = c.id AND om.\"user\" <> $1"
        " LEFT JOIN app_user o ON o.id = om.\"user\""
        " LEFT JOIN im_message lm ON lm.id = c.last_message"
        ' WHERE m."user" = $1 AND m.left_at IS NULL'
        " ORDER BY c.last_message DESC, c.id DESC LIMIT $2 OFFSET $3", user_id, req.per_page, req.offset)
    return Page(rows, total, req.page, req.per_page)


async def unread_total(user_id: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM im_member m JOIN im_message x ON x.conversation = m.conversation AND x.id > m.read_upto"
        ' WHERE m."user" = $1 AND m.left_at IS NULL AND x.sender IS DISTINCT FROM $1 AND x.recalled_at IS NULL'
        " AND (NOT m.muted OR x.mentions @> to_jsonb(m.\"user\"))", user_id) or 0


async def members(conversation: int, limit: int = 200) -> list[dict]:
    return await db.fetch(
        'SELECT m."user" AS id, coalesce(nullif(u.name, \'\'), u.username) AS name, m.role, m.read_upto,'
        " m.delivered_upto FROM im_member m JOIN app_user u ON u.id = m.\"user\""
        " WHERE m.conversation = $1 AND m.left_at IS NULL ORDER BY m.role <> 'owner', m.role <> 'admin', m.id"
        " LIMIT $2", conversation, limit)


def _may_manage(me: dict) -> None:
    if me["kind"] != "group" or me["role"] not in ("owner", "admin"):
        raise Conflict(_("Only the group's owner and admins can do this."))


async def rename(actor: Actor, conversation: int, title: str) -> None:
    me = await require_member(actor, conversation)
    _may_manage(me)
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise Invalid("title", _("Give the group a name of at most %(n)s characters.", n=100))
    await db.execute("UPDATE im_conversation SET title = $2, updated_by = $3, updated_at = now() WHERE id = $1",
                     conversation, title, actor.id)
    await audit.record(actor, "rename", "im_conversation", conversation, before={"title": me["title"]},
                       after={"title": title})


async def set_role(actor: Actor, conversation: int, user: int, role: str) -> None:
    """The owner makes a member an admin or takes it back."""
    me = await require_member(actor, conversation)
    if me["kind"] != "group" or me["role"] != "owner":
        raise Conflict(_("Only the group's owner can appoint admins."))
    if role not in ("admin", "member") or user == actor.id:
        raise Invalid("role", _("Choose admin or member for someone else."))
    done = await db.execute('UPDATE im_member SET role = $3 WHERE conversation = $1 AND "user" = $2 AND left_at IS NULL'
                            " AND role <> 'owner'", conversation, user, role)
    if done.endswith(" 0"):
        raise Invalid("user", _("This person is not in the group."))
    await audit.record(actor, "set_role", "im_conversation", conversation, after={"user": user, "role": role})


async def remove_member(actor: Actor, conversation: int, user: int) -> None:
    """An admin removes someone, or anyone leaves (user = oneself). The owner hands over before leaving."""
    me = await require_member(actor, conversation)
    if me["kind"] != "group":
        raise Conflict(_("People are added to groups, not to 1:1 chats."))
    if user != actor.id:
        _may_manage(me)
    target = await member(conversation, user)
    if target is None:
        raise Invalid("user", _("This person is not in the group."))
    if target["role"] == "owner":
        raise Conflict(_("The owner cannot leave or be removed; appoint another owner first."))
    if target["role"] == "admin" and me["role"] != "owner" and user != actor.id:
        raise Conflict(_("Only the group's owner can remove an admin."))
    await db.execute('UPDATE im_member SET left_at = now(), role = \'member\' WHERE conversation = $1 AND "user" = $2',
                     conversation, user)
    await audit.record(actor, "leave" if user == actor.id else "remove", "im_conversation", conversation,
                       after={"user": user})


async def set_muted(actor: Actor, conversation: int, muted: bool) -> None:
    """A muted conversation does not count in the unread badge — except messages that @mention you."""
    await require_member(actor, conversation)
    await db.execute('UPDATE im_member SET muted = $3 WHERE conversation = $1 AND "user" = $2', conversation,
                     actor.id, muted)
    await audit.record(actor, "mute" if muted else "unmute", "im_conversation", conversation)


async def mentioned(conversation: int, body: str) -> list[int]:
    """Members named as @name (their display name or account name) in a group message."""
    if "@" not in body:
        return []
    names = {n for n in _MENTION.findall(body)}
    if not names:
        return []
    rows = await db.fetch(
        'SELECT m."user" FROM im_member m JOIN app_user u ON u.id = m."user" WHERE m.conversation = $1'
        " AND m.left_at IS NULL AND (u.name = ANY($2::text[]) OR u.username = ANY($2::text[]))",
        conversation, sorted(names))
    return [r["user"] for r in rows]

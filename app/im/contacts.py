"""Contacts (IM-08): the org-tree directory with member and online counts, people's profile cards (name, org,
photo — never phone or e-mail), friend requests, friends with the owner's remark (the original name is kept
and shown beside it), and the personal security code: a signed token of the user's id and a per-user salt, so
"reset my code" makes every QR code shown before refuse."""
from __future__ import annotations

import secrets

from app.core import audit, db, ratelimit, security, trees
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.core.sqlfilter import like_pattern
from app.core.uploads import StoredFile
from app.im.presence import ONLINE_SQL

CODE_PURPOSE = "im.friend"
CODE_MAX_AGE = 20 * 365 * 86400  # a code lasts until its owner resets it
REQUEST_LIMIT = (20, 3600)  # friend requests per user per hour
MESSAGE_MAX = 200
REMARK_MAX = 32


class RateLimited(Conflict):
    """Too many friend requests from this user lately."""


class NotFound(Exception):
    """No such request / person for this user (someone else's request id looks the same as none)."""


# --- directory -------------------------------------------------------------------------------------------

_NODE_COUNTS = f"""
WITH per_org AS (
  SELECT u.org, count(*) AS members, count(p."user") FILTER (WHERE p.{ONLINE_SQL}) AS online
  FROM app_user u LEFT JOIN im_presence p ON p."user" = u.id
  WHERE u.is_active AND u.org IS NOT NULL GROUP BY u.org)
SELECT n.id, n.parent, n.name, n.kind, n.depth,
       coalesce(sum(c.members), 0)::int AS members, coalesce(sum(c.online), 0)::int AS online
FROM org_node n
LEFT JOIN org_node d ON d.enabled AND d.path LIKE n.path || '%'
LEFT JOIN per_org c ON c.org = d.id
WHERE n.enabled GROUP BY n.id ORDER BY n.depth, n.sort, n.id
"""


async def directory() -> list[dict]:
    """The enabled org tree, each node with its subtree's active members and how many are online now
    (one grouped query, whatever the tree's size)."""
    return trees.nest(await db.fetch(_NODE_COUNTS))


async def node(node_id: int) -> dict:
    row = await db.fetchrow("SELECT id, name, path FROM org_node WHERE id = $1 AND enabled", node_id)
    if row is None:
        raise NotFound()
    return row


_PERSON = ("u.id, u.username, coalesce(nullif(u.name, ''), u.username) AS name, o.name AS org_name,"
           f" coalesce(p.{ONLINE_SQL}, false) AS online")
_PERSON_FROM = ' FROM app_user u LEFT JOIN org_node o ON o.id = u.org LEFT JOIN im_presence p ON p."user" = u.id'


async def people(req: PageRequest, *, node_id: int | None = None, query: str = "") -> Page:
    """Active people of a node's subtree and/or whose name or account name contains `query`, online first."""
    where, args = ["u.is_active"], []
    if node_id is not None:
        args.append((await node(node_id))["path"])
        where.append(f"u.org IN (SELECT id FROM org_node WHERE enabled AND path LIKE ${len(args)} || '%')")
    query = (query or "").strip()[:64]
    if query:
        args.append(like_pattern(query))
        where.append(f"(u.name ILIKE ${len(args)} OR u.username ILIKE ${len(args)})")
    sql_where = " WHERE " + " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM app_user u{sql_where}", *args)
    rows = await db.fetch(
        f"SELECT {_PERSON}{_PERSON_FROM}{sql_where} ORDER BY 5 DESC, name, u.id"
        f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}", *args, req.per_page, req.offset)
    return Page(rows, total, req.page, req.per_page)


# --- profiles ----------------------------------------------------------------------------------------------

async def profile(viewer: int, user_id: int) -> dict:
    """What anyone signed in may see of a person (no phone, no e-mail) and how the viewer relates to them:
    self / friend / sent (a pending request of the viewer) / received (theirs, with `request_id`) / none."""
    row = await db.fetchrow(
        f"SELECT {_PERSON}, u.avatar, f.remark, f.id AS friend_row{_PERSON_FROM}"
        ' LEFT JOIN im_friend f ON f."user" = $2 AND f.friend = u.id WHERE u.id = $1 AND u.is_active',
        user_id, viewer)
    if row is None:
        raise NotFound()
    row["avatar_url"] = StoredFile(row["avatar"], "", 0, "").url if row["avatar"] else ""
    del row["avatar"]
    pending = await db.fetchrow(
        "SELECT id, sender FROM im_friend_request WHERE status = 'pending' AND ((sender = $1 AND receiver = $2)"
        " OR (sender = $2 AND receiver = $1)) ORDER BY sender = $1 DESC LIMIT 1", viewer, user_id)
    if user_id == viewer:
        row["relation"] = "self"
    elif row["friend_row"]:
        row["relation"] = "friend"
    elif pending and pending["sender"] == viewer:
        row["relation"] = "sent"
    elif pending:
        row["relation"], row["request_id"] = "received", pending["id"]
    else:
        row["relation"] = "none"
    return row


# --- friend requests ------------------------------------------------------------------------------------

async def _are_friends(a: int, b: int) -> bool:
    return bool(await db.fetchval('SELECT 1 FROM im_friend WHERE "user" = $1 AND friend = $2', a, b))


async def send_request(actor: Actor, to: int, message: str = "") -> int:
    """A friend request; rate limited per sender, one pending per direction."""
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise Invalid("message", _("At most %(n)s characters.", n=MESSAGE_MAX))
    if to == actor.id:
        raise Invalid("user", _("You cannot add yourself as a friend."))
    if not await db.fetchval("SELECT 1 FROM app_user WHERE id = $1 AND is_active", to):
        raise NotFound()
    limit, per = REQUEST_LIMIT
    if not await ratelimit.allow("im-friend-request", f"user:{actor.id}", limit, per):
        await audit.record(actor, "refused", "im_friend_request", "", summary="rate limited", after={"to": to})
        raise RateLimited(_("Too many friend requests. Please try again later."))
    if await _are_friends(actor.id, to):
        raise Conflict(_("You are friends already."))
    if await db.fetchval("SELECT 1 FROM im_friend_request WHERE sender = $1 AND receiver = $2 AND status = 'pending'",
                         to, actor.id):
        raise Conflict(_("They have sent you a request already: accept it in your friend requests."))
    async with db.transaction():
        request_id = await db.fetchval(
            "INSERT INTO im_friend_request (sender, receiver, message) VALUES ($1, $2, $3)"
            " ON CONFLICT (sender, receiver) WHERE status = 'pending' DO NOTHING RETURNING id", actor.id, to, message)
        if request_id is None:
            raise Conflict(_("Your request is waiting for their answer."))
        await audit.record(actor, "create", "im_friend_request", request_id, after={"to": to, "message": message})
    return request_id


async def incoming(user_id: int, req: PageRequest) -> Page:
    """Pending requests to the user, newest first, each with the requester's profile card."""
    total = await db.fetchval("SELECT count(*) FROM im_friend_request WHERE receiver = $1 AND status = 'pending'",
                              user_id)
    rows = await db.fetch(
        f"SELECT r.id AS request_id, r.message, r.created_at, {_PERSON}, u.avatar{_PERSON_FROM}"
        " JOIN im_friend_request r ON r.sender = u.id WHERE r.receiver = $1 AND r.status = 'pending'"
        " ORDER BY r.id DESC LIMIT $2 OFFSET $3", user_id, req.per_page, req.offset)
    for row in rows:
        row["avatar_url"] = StoredFile(row["avatar"], "", 0, "").url if row["avatar"] else ""
    return Page(rows, total, req.page, req.per_page)


async def pending_count(user_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM im_friend_request WHERE receiver = $1 AND status = 'pending'",
                             user_id) or 0


async def received(actor: Actor, request_id: int) -> dict:
    """A request addressed to the actor, or NotFound (audited: someone tried a request that is not theirs)."""
    row = await db.fetchrow("SELECT * FROM im_friend_request WHERE id = $1 AND receiver = $2", request_id,
                            actor.id or 0)
    if row is None:
        await audit.record(actor, "refused", "im_friend_request", request_id, summary="not the receiver")
        raise NotFound()
    return row


async def answer(actor: Actor, request_id: int, accept: bool) -> dict:
    """Accept (both become friends, one row each way) or decline a pending request addressed to the actor."""
    await received(actor, request_id)
    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM im_friend_request WHERE id = $1 FOR UPDATE", request_id)
        if row["status"] != "pending":
            raise Conflict(_("This request was answered already."))
        status = "accepted" if accept else "declined"
        await db.execute("UPDATE im_friend_request SET status = $2, decided_at = now() WHERE id = $1", request_id,
                         status)
        if accept:
            await db.execute(
                'INSERT INTO im_friend ("user", friend) VALUES ($1, $2), ($2, $1) ON CONFLICT ("user", friend)'
                " DO NOTHING", row["sender"], row["receiver"])
            # a request the other way is answered by this one
            await db.execute("UPDATE im_friend_request SET status = 'accepted', decided_at = now() WHERE sender = $1"
                             " AND receiver = $2 AND status = 'pending'", row["receiver"], row["sender"])
        await audit.record(actor, "accept" if accept else "decline", "im_friend_request", request_id,
                           before={"status": "pending"}, after={"status": status, "from": row["sender"]})
    return row


# --- friends -------------------------------------------------------------------------------------------

async def friends(user_id: int, req: PageRequest) -> Page:
    """The user's friends: remark (if set) and the friend's own name, org, online; by remark or name."""
    total = await db.fetchval('SELECT count(*) FROM im_friend WHERE "user" = $1', user_id)
    rows = await db.fetch(
        f"SELECT {_PERSON}, f.remark{_PERSON_FROM} JOIN im_friend f ON f.friend = u.id"
        ' WHERE f."user" = $1 ORDER BY coalesce(nullif(f.remark, \'\'), nullif(u.name, \'\'), u.username), u.id'
        " LIMIT $2 OFFSET $3", user_id, req.per_page, req.offset)
    return Page(rows, total, req.page, req.per_page)


async def friend(actor: Actor, friend_id: int) -> dict:
    row = await db.fetchrow(
        'SELECT f.id, f.remark, coalesce(nullif(u.name, \'\'), u.username) AS name FROM im_friend f'
        ' JOIN app_user u ON u.id = f.friend WHERE f."user" = $1 AND f.friend = $2', actor.id or 0, friend_id)
    if row is None:
        raise NotFound()
    return row


async def set_remark(actor: Actor, friend_id: int, remark: str) -> None:
    remark = " ".join((remark or "").split())
    if len(remark) > REMARK_MAX:
        raise Invalid("remark", _("At most %(n)s characters.", n=REMARK_MAX))
    before = await friend(actor, friend_id)
    await db.execute('UPDATE im_friend SET remark = $3 WHERE "user" = $1 AND friend = $2', actor.id, friend_id,
                     remark)
    await audit.record(actor, "remark", "im_friend", before["id"], before={"remark": before["remark"]},
                       after={"remark": remark, "friend": friend_id})


async def remove(actor: Actor, friend_id: int) -> None:
    """Both sides stop being friends (their chat stays)."""
    found = await friend(actor, friend_id)
    async with db.transaction():
        await db.execute('DELETE FROM im_friend WHERE ("user" = $1 AND friend = $2) OR ("user" = $2 AND friend = $1)',
                         actor.id, friend_id)
        await audit.record(actor, "delete", "im_friend", found["id"], before={"friend": friend_id,
                                                                             "remark": found["remark"]})


# --- security code ----------------------------------------------------------------------------------------

async def _salt(user_id: int) -> str:
    salt = await db.fetchval('SELECT salt FROM im_friend_code WHERE "user" = $1', user_id)
    if salt:
        return salt
    await db.execute('INSERT INTO im_friend_code ("user", salt) VALUES ($1, $2) ON CONFLICT ("user") DO NOTHING',
                     user_id, secrets.token_urlsafe(12))
    return await db.fetchval('SELECT salt FROM im_friend_code WHERE "user" = $1', user_id)


async def code(user_id: int) -> str:
    """The user's security code: scanned as /h5/im/add/{code}, it opens their card to send a friend request."""
    return security.sign(CODE_PURPOSE, [user_id, await _salt(user_id)])


async def code_owner(token: str) -> int:
    """Whose code this is, or NotFound (forged, or reset since)."""
    try:
        user_id, salt = security.unsign(CODE_PURPOSE, token, CODE_MAX_AGE)
    except (security.TokenInvalid, security.TokenExpired, TypeError, ValueError):
        raise NotFound() from None
    if not isinstance(user_id, int) or not isinstance(salt, str):
        raise NotFound()
    current = await db.fetchval('SELECT c.salt FROM im_friend_code c JOIN app_user u ON u.id = c."user"'
                                ' WHERE c."user" = $1 AND u.is_active', user_id)
    if current is None or not secrets.compare_digest(current, salt):
        raise NotFound()
    return user_id


async def reset_code(actor: Actor) -> str:
    """A new code; every QR code shown before stops working."""
    await db.execute('INSERT INTO im_friend_code ("user", salt) VALUES ($1, $2) ON CONFLICT ("user")'
                     " DO UPDATE SET salt = EXCLUDED.salt, updated_at = now()", actor.id, secrets.token_urlsafe(12))
    await audit.record(actor, "reset_code", "im_friend_code", actor.id)
    return await code(actor.id)

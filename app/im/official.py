"""The official operations account (IM-06, 运营账号): every user finds it in the chat list with a verified badge
and reads what it broadcasts there; a user's reply opens a 1:1 feedback chat with it, which staff holding
`im.official` answer from the admin side (as the account; the audit log names the staff member)."""
from __future__ import annotations

from app.core import audit, db, settings_store
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.pagination import Page, PageRequest
from app.im import conversations, messages

USERNAME = "tc_official"
SOURCE = "official"


async def account_id() -> int:
    """The account's user (made once; it has no password, so nobody logs in as it)."""
    found = await db.fetchval("SELECT id FROM app_user WHERE username = $1", USERNAME)
    if found:
        return found
    name = await settings_store.get("im.official_name", "") or _("Tongchuang operations")
    await db.execute("INSERT INTO app_user (username, name, kind, is_active, password_hash) VALUES ($1, $2, 'admin',"
                     " true, '') ON CONFLICT (username) DO NOTHING", USERNAME, str(name))
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", USERNAME)


async def as_account() -> Actor:
    return Actor(await account_id(), USERNAME)


async def channel_id() -> int:
    """The broadcast conversation everyone reads (kind "official")."""
    found = await db.fetchval("SELECT id FROM im_conversation WHERE source = $1", SOURCE)
    if found:
        return found
    account = await account_id()
    await db.execute(
        "INSERT INTO im_conversation (kind, title, source, member_limit, created_by, updated_by)"
        " VALUES ('official', $1, $2, 2147483647, $3, $3) ON CONFLICT (source) DO NOTHING",
        str(await settings_store.get("im.official_name", "") or _("Tongchuang operations")), SOURCE, account)
    conversation = await db.fetchval("SELECT id FROM im_conversation WHERE source = $1", SOURCE)
    await db.execute('INSERT INTO im_member (conversation, "user", role) VALUES ($1, $2, \'owner\')'
                     ' ON CONFLICT (conversation, "user") DO NOTHING', conversation, account)
    return conversation


async def ensure_member(user_id: int) -> None:
    """Everyone is in the official channel (joined when their chat list first opens; leaving is not offered)."""
    conversation = await channel_id()
    added = await db.fetchval('INSERT INTO im_member (conversation, "user") VALUES ($1, $2)'
                              ' ON CONFLICT (conversation, "user") DO NOTHING RETURNING id', conversation, user_id)
    if added:
        await conversations.announce_join(conversation, [user_id])


async def broadcast(staff: Actor, body: str) -> int:
    """Post to every user as the official account."""
    message = await messages.send(await as_account(), await channel_id(), body)
    await audit.record(staff, "broadcast", "im_message", message, summary=body[:100])
    return message


async def feedback_chat(actor: Actor) -> int:
    """The user's 1:1 chat with the official account (their feedback goes there)."""
    return await conversations.direct(actor, await account_id())


async def reply(staff: Actor, conversation: int, body: str) -> int:
    """Staff answer a feedback chat as the official account."""
    account = await as_account()
    message = await messages.send(account, conversation, body)
    await audit.record(staff, "reply_as_official", "im_message", message, summary=f"conversation {conversation}")
    return message


async def feedback_list(req: PageRequest) -> Page:
    """The feedback chats, newest first, with what the account has not read yet."""
    account = await account_id()
    total = await db.fetchval("SELECT count(*) FROM im_member m JOIN im_conversation c ON c.id = m.conversation"
                              " WHERE m.\"user\" = $1 AND c.kind = 'direct'", account)
    rows = await db.fetch(
        "SELECT c.id, c.last_at, coalesce(nullif(u.name, ''), u.username) AS name, lm.body AS last_body,"
        " (SELECT count(*) FROM im_message x WHERE x.conversation = c.id AND x.id > m.read_upto"
        "   AND x.sender <> $1 AND x.recalled_at IS NULL) AS unread"
        " FROM im_member m JOIN im_conversation c ON c.id = m.conversation AND c.kind = 'direct'"
        " JOIN im_member o ON o.conversation = c.id AND o.\"user\" <> $1 JOIN app_user u ON u.id = o.\"user\""
        " LEFT JOIN im_message lm ON lm.id = c.last_message"
        ' WHERE m."user" = $1 ORDER BY c.last_message DESC LIMIT $2 OFFSET $3', account, req.per_page, req.offset)
    return Page(rows, total, req.page, req.per_page)


async def is_feedback_chat(conversation: int) -> bool:
    return await conversations.member(conversation, await account_id()) is not None

"""Messages (IM-01, IM-03, IM-04, IM-05): send text (≤ 2,048 bytes) or an image / file (`send_attachment`; the
upload itself is app/im/attachments.py), history by keyset, read and delivered
pointers, recall within a configurable window. Each write appends to `im_event` (what a stream resumes from)
and publishes its id on the realtime hub after commit; a lost publish costs latency, never a message — the
stream catches up from the log on its next reconnect."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from app.core import audit, db, realtime, settings_store
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.storage import storage
from app.im import conversations, keywords
from app.im.conversations import CHANNEL

MAX_BYTES = 2048
DEFAULT_RECALL_SECONDS = 120
PAGE = 50


async def recall_seconds() -> int:
    try:
        return max(0, int(await settings_store.get("im.recall_seconds", DEFAULT_RECALL_SECONDS)))
    except (TypeError, ValueError):
        return DEFAULT_RECALL_SECONDS


def check_text(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("body", _("Write a message first."))
    size = len(body.encode())
    if size > MAX_BYTES:
        raise Invalid("body", _("A message holds at most %(max)s bytes; this one has %(n)s.", max=MAX_BYTES, n=size))
    return body


async def _log_event(conversation: int, kind: str, message: int) -> int:
    return await db.fetchval("INSERT INTO im_event (conversation, kind, message) VALUES ($1, $2, $3) RETURNING id",
                             conversation, kind, message)


async def _publish(event_id: int, conversation: int, kind: str) -> None:
    # "t" makes the event's cache key unique even if a restored database (tests) reuses its id
    await realtime.publish(CHANNEL, json.dumps({"k": kind, "e": event_id, "c": conversation,
                                                "t": f"{time.time():.6f}"}))


async def send(actor: Actor, conversation: int, body: str, *, client_ref: str | None = None,
               kind: str = "text") -> int:
    """Post a text message (or a sign-off one, `kind="signoff"`); the same `client_ref` (the form's one-time key)
    posted twice is one message; @name in a group records who is mentioned."""
    try:
        body = check_text(body)
    except Invalid:
        await audit.record(actor, "refused", "im_message", conversation, summary="invalid text")
        raise
    await keywords.refuse_if_blocked(actor, conversation, body)  # IM-11: blocked words, named and audited
    mentions = await conversations.mentioned(conversation, body) if "@" in body else []
    ref = client_ref[:64] if client_ref else None
    # One statement (atomic without a transaction block): the membership check, the message, its event, the
    # conversation's newest id and the sender's own read pointer. The row is the send's own audit record (IM-11:
    # content, time, IP, target); audit_log gets refusals and recalls — an insert more per message would cost
    # a third of the send rate.
    row = await db.fetchrow(SEND_SQL, conversation, actor.id, body, ref, actor.ip, kind, json.dumps(mentions),
                            "{}")
    return await _sent(actor, conversation, row, ref)


async def send_attachment(actor: Actor, conversation: int, kind: str, attachment: dict, *,
                          client_ref: str | None = None) -> int:
    """Post a stored image or file (`attachment`: key, name, size, type — see attachments.store) through the same
    statement as text, so the event log, streams and receipts treat it like any message. The body is the file's
    name (what the chat list previews). When no message is made (the same form posted again, or not allowed to
    post) the stored file is removed again."""
    if kind not in ("image", "file"):
        raise ValueError(kind)
    ref = client_ref[:64] if client_ref else None
    name = str(attachment.get("name") or "")[:200]
    row = await db.fetchrow(SEND_SQL, conversation, actor.id, name, ref, actor.ip, kind, "[]",
                            json.dumps(attachment, ensure_ascii=False))
    if row is None:
        storage().delete(attachment["key"])
    return await _sent(actor, conversation, row, ref)


async def _sent(actor: Actor, conversation: int, row: dict | None, ref: str | None) -> int:
    """After SEND_SQL: publish the new message, or say why none was made (not a member — refused and audited in
    require_member —, a reader of the official channel, or this form key posted already: its message)."""
    if row is not None:
        await _publish(row["event"], conversation, "message")
        return row["id"]
    me = await conversations.require_member(actor, conversation)
    if me["kind"] == "official" and me["role"] != "owner":
        await audit.record(actor, "refused", "im_message", conversation, summary="official channel")
        raise Conflict(_("Only the official account posts here; send feedback instead."))
    if ref:
        found = await db.fetchval("SELECT id FROM im_message WHERE sender = $1 AND client_ref = $2", actor.id, ref)
        if found:
            return found
    raise Conflict(_("The message could not be sent; try again."))


SEND_SQL = """
WITH member AS (  -- a member; in the official channel only its owner (the account) posts
  SELECT 1 FROM im_member m JOIN im_conversation c ON c.id = m.conversation
  WHERE m.conversation = $1 AND m."user" = $2 AND m.left_at IS NULL AND (c.kind <> 'official' OR m.role = 'owner')
), message AS (
  INSERT INTO im_message (conversation, sender, kind, body, client_ref, ip, mentions, attachment)
  SELECT $1, $2, $6, $3, $4, $5, $7::jsonb, $8::jsonb WHERE EXISTS (SELECT 1 FROM member)
  ON CONFLICT DO NOTHING RETURNING id
), event AS (
  INSERT INTO im_event (conversation, kind, message) SELECT $1, 'message', id FROM message RETURNING id
), newest AS (
  UPDATE im_conversation SET last_message = message.id, last_at = now() FROM message WHERE im_conversation.id = $1
), own AS (
  UPDATE im_member SET read_upto = message.id, delivered_upto = message.id FROM message
  WHERE im_member.conversation = $1 AND im_member."user" = $2
)
SELECT message.id, event.id AS event FROM message, event
"""


async def recall(actor: Actor, message_id: int) -> None:
    """The sender takes a message back within the window; the row stays (who / when), the body goes."""
    row = await db.fetchrow("SELECT * FROM im_message WHERE id = $1", message_id)
    if row is None or row["sender"] != actor.id:
        await audit.record(actor, "refused", "im_message", message_id, summary="recall: not the sender")
        raise conversations.NotMember()
    await conversations.require_member(actor, row["conversation"])
    if row["recalled_at"]:
        raise Conflict(_("This message has been recalled already."))
    window = await recall_seconds()
    if datetime.now(UTC) - row["created_at"] > timedelta(seconds=window):
        await audit.record(actor, "refused", "im_message", message_id, summary="recall after the window")
        raise Conflict(_("Messages can be recalled within %(n)s minutes of sending.", n=max(1, window // 60)))
    async with db.transaction():
        await db.execute("UPDATE im_message SET recalled_at = now(), body = '', attachment = '{}'::jsonb"
                         " WHERE id = $1", message_id)
        event_id = await _log_event(row["conversation"], "recall", message_id)
        await audit.record(actor, "recall", "im_message", message_id, before={"body": row["body"]})
    await _publish(event_id, row["conversation"], "recall")
    stored = json.loads(row["attachment"]) if isinstance(row["attachment"], str) else row["attachment"] or {}
    if stored.get("key"):  # a recalled image or file leaves nothing in storage
        storage().delete(stored["key"])


MESSAGE_SQL = ("SELECT x.id, x.conversation, x.sender, x.kind, x.body, x.attachment, x.created_at, x.recalled_at,"
               " x.attachment->>'name' AS file_name, (x.attachment->>'size')::bigint AS file_size,"
               " x.attachment->>'type' AS file_type, x.attachment ? 'expired' AS file_expired,"
               " ARRAY(SELECT jsonb_array_elements_text(x.mentions)::bigint) AS mentions,"
               " coalesce(nullif(u.name, ''), u.username, '') AS sender_name"
               " FROM im_message x LEFT JOIN app_user u ON u.id = x.sender")


async def history(conversation: int, *, before: int | None = None, limit: int = PAGE) -> list[dict]:
    """The newest `limit` messages older than `before` (all when None), oldest first."""
    rows = await db.fetch(MESSAGE_SQL + " WHERE x.conversation = $1 AND ($2::bigint IS NULL OR x.id < $2)"
                          " ORDER BY x.id DESC LIMIT $3", conversation, before, limit)
    return rows[::-1]


async def by_ids(ids: list[int]) -> dict[int, dict]:
    rows = await db.fetch(MESSAGE_SQL + " WHERE x.id = ANY($1::bigint[])", ids)
    return {r["id"]: r for r in rows}


async def mark_read(actor: Actor, conversation: int, upto: int) -> None:
    """Move the actor's read (and delivered) pointer forward to `upto` (never back, never past the newest)."""
    await db.execute(
        "UPDATE im_member m SET read_upto = least(greatest(m.read_upto, $3), c.last_message),"
        " delivered_upto = least(greatest(m.delivered_upto, $3), c.last_message) FROM im_conversation c"
        ' WHERE c.id = m.conversation AND m.conversation = $1 AND m."user" = $2 AND m.left_at IS NULL',
        conversation, actor.id, upto)


async def mark_delivered(user_id: int, conversation: int, upto: int) -> None:
    await db.execute('UPDATE im_member SET delivered_upto = greatest(delivered_upto, $3) WHERE conversation = $1'
                     ' AND "user" = $2', conversation, user_id, upto)


async def mark_delivered_many(user_id: int, conversations_: list[int], upto: list[int]) -> None:
    """Delivered pointers of one user in several conversations at once (a stream's batch)."""
    await db.execute(
        'UPDATE im_member m SET delivered_upto = greatest(m.delivered_upto, d.upto) FROM unnest($2::bigint[],'
        ' $3::bigint[]) AS d(conversation, upto) WHERE m.conversation = d.conversation AND m."user" = $1',
        user_id, conversations_, upto)


async def receipts(conversation: int, sender: int, message_ids: list[int]) -> dict[int, dict]:
    """For the sender's own messages: how many of the other members have had each delivered and read."""
    if not message_ids:
        return {}
    rows = await db.fetch(
        "SELECT x.id, count(*) FILTER (WHERE m.delivered_upto >= x.id) AS delivered,"
        " count(*) FILTER (WHERE m.read_upto >= x.id) AS read, count(m.id) AS others"
        ' FROM unnest($3::bigint[]) AS x(id) LEFT JOIN im_member m ON m.conversation = $1 AND m."user" <> $2'
        " AND m.left_at IS NULL GROUP BY x.id", conversation, sender, message_ids)
    return {r["id"]: r for r in rows}

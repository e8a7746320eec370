"""Messages (IM-01, IM-03, IM-04, IM-05): send text (≤ 2,048 bytes), history by keyset, read and delivered
pointers, recall within a configurable window. Each write appends to `im_event` (what a stream resumes from)
and publishes its id on the realtime hub after commit; a lost publish costs latency, never a message — the
stream catches up from the log on its next reconnect."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from app.core import audit, db, realtime, settings_store
from app.core.audit import Actor
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.im import conversations
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
    await realtime.publish(CHANNEL, json.dumps({"k": kind, "e": event_id, "c": conversation}))


async def send(actor: Actor, conversation: int, body: str, *, client_ref: str | None = None,
               kind: str = "text") -> int:
    """Post a text message (or a sign-off one, `kind="signoff"`); the same `client_ref` (the form's one-time key)
    posted twice is one message; @name in a group records who is mentioned."""
    try:
        body = check_text(body)
    except Invalid:
        await audit.record(actor, "refused", "im_message", conversation, summary="invalid text")
        raise
    mentions = await conversations.mentioned(conversation, body) if "@" in body else []
    ref = client_ref[:64] if client_ref else None
    # One statement (atomic without a transaction block): the membership check, the message, its event, the
    # conversation's newest id and the sender's own read pointer. The row is the send's own audit record (IM-11:
    # content, time, IP, target); audit_log gets refusals and recalls — an insert more per message would cost
    # a third of the send rate.
    row = await db.fetchrow(SEND_SQL, conversation, actor.id, body, ref, actor.ip, kind, json.dumps(mentions))
    if row is None:  # not a member (refused and audited there), or this form key was posted already
        await conversations.require_member(actor, conversation)
        if ref:
            found = await db.fetchval("SELECT id FROM im_message WHERE sender = $1 AND client_ref = $2", actor.id,
                                      ref)
            if found:
                return found
        raise Conflict(_("The message could not be sent; try again."))
    await _publish(row["event"], conversation, "message")
    return row["id"]


SEND_SQL = """
WITH member AS (
  SELECT 1 FROM im_member WHERE conversation = $1 AND "user" = $2 AND left_at IS NULL
), message AS (
  INSERT INTO im_message (conversation, sender, kind, body, client_ref, ip, mentions)
  SELECT $1, $2, $6, $3, $4, $5, $7::jsonb WHERE EXISTS (SELECT 1 FROM member)
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


MESSAGE_SQL = ("SELECT x.id, x.conversation, x.sender, x.kind, x.body, x.attachment, x.created_at, x.recalled_at,"
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

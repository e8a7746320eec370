"""Sign-off messages (IM-05, 签收): the content shows to a receiver only after they sign; the sender sees who has
not signed yet and sends them a reminder (in-site message through the message service)."""
from __future__ import annotations

from app.core import audit, db, notify
from app.core.audit import Actor
from app.core.forms import Conflict
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.im import conversations, messages

TEMPLATE = "im_signoff_reminder"
notify.DEFAULT_TEMPLATES.setdefault(TEMPLATE, (L("Sign-off reminder"), {
    "inbox": (L("A message waits for your signature"),
              L("{{ sender }} asks you to sign a message: open {{ url }} to read and sign it.")),
}))


async def send(actor: Actor, conversation: int, body: str, *, client_ref: str | None = None) -> int:
    return await messages.send(actor, conversation, body, client_ref=client_ref, kind="signoff")


async def view(actor: Actor, message_id: int) -> dict:
    """The message as the actor may see it: `signed` / `is_sender`, the body only when one of them holds."""
    row = (await messages.by_ids([message_id])).get(message_id)
    if row is None or row["kind"] != "signoff":
        raise conversations.NotMember()
    await conversations.require_member(actor, row["conversation"])
    signed = await db.fetchval('SELECT signed_at FROM im_signoff WHERE message = $1 AND "user" = $2', message_id,
                               actor.id)
    is_sender = row["sender"] == actor.id
    shown = dict(row)
    if not (signed or is_sender):
        shown["body"] = ""
    return {**shown, "signed_at": signed, "is_sender": is_sender}


async def sign(actor: Actor, message_id: int) -> None:
    row = await view(actor, message_id)
    if row["is_sender"]:
        raise Conflict(_("You sent this message; the receivers sign it."))
    if row["recalled_at"]:
        raise Conflict(_("This message has been recalled already."))
    done = await db.fetchval('INSERT INTO im_signoff (message, "user") VALUES ($1, $2) ON CONFLICT DO NOTHING'
                             " RETURNING id", message_id, actor.id)
    if done:
        await audit.record(actor, "sign", "im_message", message_id)


async def status(actor: Actor, message_id: int) -> dict:
    """For the sender: who signed (when) and who has not."""
    row = await view(actor, message_id)
    if not row["is_sender"]:
        raise conversations.NotMember()
    people = await db.fetch(
        'SELECT m."user" AS id, coalesce(nullif(u.name, \'\'), u.username) AS name, s.signed_at'
        ' FROM im_member m JOIN app_user u ON u.id = m."user"'
        ' LEFT JOIN im_signoff s ON s.message = $2 AND s."user" = m."user"'
        ' WHERE m.conversation = $1 AND m.left_at IS NULL AND m."user" <> $3 ORDER BY s.signed_at NULLS FIRST, u.id',
        row["conversation"], message_id, actor.id)
    return {"message": row, "signed": [p for p in people if p["signed_at"]],
            "unsigned": [p for p in people if not p["signed_at"]]}


async def remind(actor: Actor, message_id: int) -> int:
    """Send the ones who have not signed a reminder (in-site); returns how many."""
    state = await status(actor, message_id)
    targets = [p["id"] for p in state["unsigned"]]
    if targets:
        await notify.notify(targets, TEMPLATE, {"sender": actor.name, "url": f"/h5/im/m/{message_id}"},
                            channels=("inbox",), url=f"/h5/im/m/{message_id}")
        await audit.record(actor, "remind", "im_message", message_id, after={"users": targets})
    return len(targets)

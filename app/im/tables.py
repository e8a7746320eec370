"""Tables of the messenger (IM), prefix im_. Lighter than Zulip: no row per recipient per message — each member
keeps read and delivered pointers (message ids), so a message to a 1,000-member group is one row, unread counts
are an index range, and receipts compare pointers. Constraints in the plain-SQL migration."""
from piccolo.columns import JSONB, BigInt, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, Stamped


class ImConversation(Stamped, Table, tablename="im_conversation"):
    """A 1:1 chat (`direct`, `pair` = "small:large" user ids, unique) or a group; `source` names a generated
    group ("org:12", "class:7") so it is made once."""
    kind = Varchar(length=16, default="direct")  # direct / group
    title = Varchar(length=100, default="")
    pair = Varchar(length=48, null=True, default=None, unique=True)
    source = Varchar(length=48, null=True, default=None, unique=True)
    member_limit = Integer(default=1000)
    temporary = Boolean(default=False)  # purged when idle (IM-11)
    last_message = BigInt(default=0)  # id of the newest message (ordering of the chat list)
    last_at = Timestamptz(null=True, default=None)


class ImMember(Table, tablename="im_member"):
    """A user in a conversation; `read_upto` / `delivered_upto` are message ids (receipts, unread counts)."""
    conversation = ForeignKey(ImConversation, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16, default="member")  # owner / admin / member
    muted = Boolean(default=False)
    read_upto = BigInt(default=0)
    delivered_upto = BigInt(default=0)
    joined_at = Timestamptz(default=TimestamptzNow())
    left_at = Timestamptz(null=True, default=None)


class ImMessage(Table, tablename="im_message"):
    """One message. `body` is plain text (≤ 2,048 bytes, escaped when shown); files and images are storage keys
    in `attachment`; a recalled message keeps its row with the body emptied."""
    conversation = ForeignKey(ImConversation, on_delete=OnDelete.cascade)
    sender = ForeignKey(AppUser, null=True, default=None, on_delete=OnDelete.set_null)
    kind = Varchar(length=16, default="text")  # text / image / file / signoff / system
    body = Text(default="")
    attachment = JSONB(default="{}")
    mentions = JSONB(default="[]")  # user ids @mentioned
    client_ref = Varchar(length=64, null=True, default=None)  # the sender's form key: a re-post is not a second
    created_at = Timestamptz(default=TimestamptzNow())
    recalled_at = Timestamptz(null=True, default=None)
    ip = Varchar(length=64, default="")


class ImEvent(Table, tablename="im_event"):
    """The ordered log a stream resumes from (SSE Last-Event-ID): a new message, a recall, an edit."""
    conversation = ForeignKey(ImConversation, on_delete=OnDelete.cascade)
    kind = Varchar(length=16)  # message / recall
    message = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())


class ImSignoff(Table, tablename="im_signoff"):
    """A receiver signed a sign-off message (IM-05): its content shows to them only from then on."""
    message = ForeignKey(ImMessage, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    signed_at = Timestamptz(default=TimestamptzNow())

"""Tables of the messenger's contacts (IM-08): presence (last seen by an open stream), friend requests, friends
(one row each way, with the owner's remark) and the per-user salt of the personal security code (resetting it
invalidates every QR code shown before). Constraints in the plain-SQL migration."""
from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser


class ImPresence(Table, tablename="im_presence"):
    """When a user's stream was last open (touched at most every 20 s; online = seen within 60 s)."""
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, unique=True)
    seen_at = Timestamptz(default=TimestamptzNow(), index=True)


class ImFriendRequest(Table, tablename="im_friend_request"):
    """A friend request from `sender` to `receiver`; status pending / accepted / declined."""
    sender = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    receiver = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    message = Varchar(length=200, default="")
    status = Varchar(length=16, default="pending")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class ImFriend(Table, tablename="im_friend"):
    """`friend` is in `user`'s friends list, under `remark` if set (the friend's own name is kept beside it)."""
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    friend = ForeignKey(AppUser, on_delete=OnDelete.cascade)
    remark = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ImFriendCode(Table, tablename="im_friend_code"):
    """The salt signed into a user's security code ("reset my code" replaces it)."""
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, unique=True)
    salt = Varchar(length=32)
    updated_at = Timestamptz(default=TimestamptzNow())

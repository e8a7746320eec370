"""Tables of the service accounts (IM-07, 服务号), prefix im_. An account's articles are content-platform articles
(owner ("im_account", id), table cnt_article); `im_account_article` adds what content does not know: the column,
when the article was pushed to the subscribers and when it was edited after that. The unique
(account, user) of `im_subscription` is in the raw migration; `article` is no foreign key (content's migrations may
run after ours), pages join cnt_article."""
from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.core.tables import AppUser, Stamped


class ImAccount(Stamped, Table, tablename="im_account"):
    """A service account; users see the active ones ordered by `sort`, then name."""
    name = Varchar(length=100)
    intro = Text(default="")
    avatar_key = Varchar(length=200, default="")
    sort = Integer(default=100)
    status = Varchar(length=16, default="active")  # active / off


class ImAccountColumn(Stamped, Table, tablename="im_account_column"):
    """A column (栏目) of an account: its articles are shown under it as a tab."""
    account = ForeignKey(ImAccount, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=50)
    sort = Integer(default=100)


class ImSubscription(Table, tablename="im_subscription"):
    account = ForeignKey(ImAccount, on_delete=OnDelete.cascade)
    user = ForeignKey(AppUser, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ImAccountArticle(Table, tablename="im_account_article"):
    """One row per account article (cnt_article id, unique): its column (account_column), pushed_at (sent to
    the subscribers once) and edited_at (changed after the push: the pages say "edited")."""
    article = BigInt(unique=True)
    account = ForeignKey(ImAccount, on_delete=OnDelete.cascade, index=True)
    account_column = ForeignKey(ImAccountColumn, null=True, default=None, on_delete=OnDelete.set_null)
    pushed_at = Timestamptz(null=True, default=None)
    edited_at = Timestamptz(null=True, default=None)


class ImAccountMedia(Table, tablename="im_account_media"):
    """A video of an account article, played inside it (the content platform's attachments take whole files in
    memory and no video): streamed to storage by core uploads.save_stream, served with byte ranges."""
    article = BigInt(index=True)
    key = Varchar(length=300)
    name = Varchar(length=200)
    size = BigInt(default=0)
    content_type = Varchar(length=100)
    sort = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = BigInt(null=True, default=None)

"""Piccolo tables of the content platform (prefix cnt_). Every item carries its owner as (owner_kind, owner_id)
— ("org", 12), ("class", 7), ("hq", 0) — never a foreign key into another module's tables: the owning module
answers for it through the hooks in app/content/owners.py. Statuses, unique settings and the indexes of the
lists and the moderation queue live in the plain-SQL migration."""
from piccolo.columns import Array, BigInt, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.core.tables import Stamped


class Moderated:
    """What every moderated item holds: draft (articles) / pending / published / rejected / deleted."""
    status = Varchar(length=16, default="pending")
    flagged_words = Array(base_column=Varchar(length=100), default=list)  # sensitive words found, for the moderator
    reject_reason = Varchar(length=500, default="")
    moderated_by = BigInt(null=True, default=None)
    moderated_at = Timestamptz(null=True, default=None)


class CntSetting(Stamped, Table, tablename="cnt_setting"):
    """Per owner and item kind: whether new items from non-moderators wait for approval (default: yes)."""
    owner_kind = Varchar(length=16)
    owner_id = BigInt()
    item_kind = Varchar(length=16)  # article / album / photo / comment / a post kind (story, post, message …)
    moderation = Boolean(default=True)


class CntArticle(Moderated, Stamped, Table, tablename="cnt_article"):
    """A news / CMS article (ORG-05)."""
    owner_kind = Varchar(length=16)
    owner_id = BigInt()
    title = Varchar(length=200)
    summary = Varchar(length=500, default="")
    body_html = Text(default="")  # sanitised on every write
    body_text = Text(default="")  # plain text of the body: search, summaries
    author = BigInt(null=True, default=None)  # app_user.id
    headline = Boolean(default=False)  # 头条
    recommend = Boolean(default=False)  # 推荐
    pin = Boolean(default=False)  # 置顶
    published_at = Timestamptz(null=True, default=None)
    source_article = BigInt(null=True, default=None)  # the submitted original this copy was accepted from
    view_count = Integer(default=0)


class CntAttachment(Table, tablename="cnt_attachment"):
    article = ForeignKey(CntArticle, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=300)
    name = Varchar(length=200)
    size = Integer(default=0)
    content_type = Varchar(length=100, default="application/octet-stream")
    sort = Integer(default=0)


class CntSubmission(Stamped, Table, tablename="cnt_submission"):
    """An article offered to another owner (an org → HQ): pending until an editor there accepts or declines."""
    article = ForeignKey(CntArticle, on_delete=OnDelete.cascade, index=True)
    target_kind = Varchar(length=16)
    target_id = BigInt()
    status = Varchar(length=16, default="pending")  # pending / accepted / declined
    reason = Varchar(length=500, default="")
    result_article = BigInt(null=True, default=None)  # the published copy at the target
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)


class CntPost(Moderated, Stamped, Table, tablename="cnt_post"):
    """A story, a post, a guestbook message or a reply (parent) — the kind is the owning module's word."""
    owner_kind = Varchar(length=16)
    owner_id = BigInt()
    kind = Varchar(length=16)
    title = Varchar(length=200, default="")
    body = Text(default="")
    happened_on = Date(null=True, default=None)  # a class story's date
    parent = ForeignKey("self", null=True, on_delete=OnDelete.cascade)
    author = BigInt(null=True, default=None)  # app_user.id
    featured = Boolean(default=False)  # 精选


class CntAlbum(Moderated, Stamped, Table, tablename="cnt_album"):
    owner_kind = Varchar(length=16)
    owner_id = BigInt()
    title = Varchar(length=100)
    description = Varchar(length=1000, default="")
    author = BigInt(null=True, default=None)  # app_user.id
    cover_photo = BigInt(null=True, default=None)


class CntPhoto(Moderated, Stamped, Table, tablename="cnt_photo"):
    """One uploaded image: an album photo, a post's picture or an article's cover (parent_kind/parent_id).
    Only the clean re-encoded copies are stored (app/content/images.py)."""
    owner_kind = Varchar(length=16)
    owner_id = BigInt()
    parent_kind = Varchar(length=16)  # album / post / article
    parent_id = BigInt()
    caption = Varchar(length=200, default="")
    author = BigInt(null=True, default=None)  # app_user.id
    display_key = Varchar(length=300)
    thumb_key = Varchar(length=300)
    mime = Varchar(length=32, default="image/jpeg")
    width = Integer(default=0)
    height = Integer(default=0)
    size = Integer(default=0)
    original_name = Varchar(length=200, default="")
    sort = Integer(default=0)


class CntComment(Moderated, Stamped, Table, tablename="cnt_comment"):
    owner_kind = Varchar(length=16)  # the commented item's owner (moderation, visibility)
    owner_id = BigInt()
    target_kind = Varchar(length=16)  # article / post / photo
    target_id = BigInt()
    body = Text()
    author = BigInt(null=True, default=None)  # app_user.id

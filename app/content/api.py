"""The content platform's contract: what orgs, classes (and later events, enterprises) call. Plain values in and
out; every write is audited; refused input raises app.core.forms.Invalid(field, message); an actor the owner's
hooks refuse raises NotAllowed (answer 403); an unknown item NotFound (404); a state clash Conflict.

Owners: register your kind once at setup —
    api.register_owner("org", N_("Organization"), can_view=…, can_post=…, can_moderate=…, moderated_ids=…,
                       url=…, name=…, can_comment=…, open_post_kinds={"message"})
then pass owners as ("org", org_id). See app/content/owners.py for what each hook answers.

Item dicts carry their status ("published", "pending" — shown to its author and moderators —, "draft" …);
picture and file URLs are ready to use (/media/content/photos/{id}/thumb|display,
/media/content/attachments/{id}). Templates: views/content/components/editor.html (rich_editor macro),
views/content/components/comments.html (comment thread + form, posting to /content/comments).
"""
from __future__ import annotations

from app.content.albums import (
    add_photo,
    count_photos,
    count_photos_by_owner,
    create_album,
    delete_album,
    delete_photo,
    get_album,
    list_albums,
    list_photos,
)
from app.content.articles import (
    FLAGS,
    create_article,
    delete_article,
    get_article,
    list_articles,
    publish,
    record_view,
    set_flags,
    status_counts,
    unpublish,
    update_article,
)
from app.content.comments import add_comment, comment_status, count_comments, delete_comment, list_comments
from app.content.compliance import ImageInfo, check_image, check_text
from app.content.docx_import import import_docx
from app.content.moderation import (
    ITEM_LABELS,
    approve,
    moderation_on,
    reject,
    set_moderation,
)
from app.content.moderation import (
    counts as moderation_counts,
)
from app.content.moderation import (
    queue as moderation_queue,
)
from app.content.moderation import (
    settings_of as moderation_settings,
)
from app.content.owners import (
    MODERATE_ALL,
    NotAllowed,
    NotFound,
    Owner,
    can_comment,
    can_moderate,
    can_post,
    can_view,
    moderates_any,
    register_owner,
)
from app.content.posts import count_posts, count_posts_by_owner, create_post, delete_post, feature, get_post, list_posts
from app.content.sanitizer import plain_text, sanitize_rich_html
from app.content.submissions import (
    accept_submission,
    decline_submission,
    list_submissions,
    submissions_of,
    submit_to,
)
from app.core.forms import Conflict, Invalid

HQ = ("hq", 0)
"""The alumni association's own site: the target of article submissions (submit_to(actor, id, api.HQ))."""

__all__ = [
    "FLAGS", "HQ", "ITEM_LABELS", "MODERATE_ALL", "Conflict", "ImageInfo", "Invalid", "NotAllowed", "NotFound",
    "Owner", "accept_submission", "add_comment", "add_photo", "approve", "can_comment", "can_moderate", "can_post",
    "can_view", "check_image", "check_text", "comment_status", "count_comments", "count_photos",
    "count_photos_by_owner", "count_posts", "count_posts_by_owner",
    "create_album", "create_article", "create_post", "decline_submission", "delete_album", "delete_article",
    "delete_comment", "delete_photo", "delete_post", "feature", "get_album", "get_article", "get_post",
    "import_docx", "list_albums", "list_articles", "list_comments", "list_photos", "list_posts", "list_submissions",
    "moderates_any", "moderation_counts", "moderation_on", "moderation_queue", "moderation_settings",
    "plain_text", "publish", "record_view", "register_owner", "reject", "sanitize_rich_html", "set_flags",
    "set_moderation", "status_counts", "submissions_of", "submit_to", "unpublish", "update_article",
]

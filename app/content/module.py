"""The content platform (ORG-05/06/07, CLS-03/04/06 machinery): articles, posts, albums and photos, comments,
moderation and compliance checks, owned by ("org", id), ("class", id), ("hq", 0) … and used by the orgs and
classes modules (later events and enterprises) through app/content/api.py. Its own pages: the HQ news site
and its editor, the moderation queue (desktop and phone), content settings, and the file routes.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup


def _setup() -> None:
    from app.content import hq  # late: reading the descriptor loads none of the services

    hq.register()


MODULE = Module(
    name="content",
    package="app.content",
    permissions=(
        PermissionGroup("content", (
            ("content.moderate", N_("Moderate the content of every organization and class"), "page"),
            ("content.hq.publish", N_("Edit and publish HQ news and decide submitted articles"), "page"),
        )),
    ),
    menus=(
        MenuEntry("content", N_("Content"), "", "file", "", 140),
        MenuEntry("content.moderation", N_("Moderation"), "/admin/content/moderation", "check", "content.moderate", 1,
                  "content"),
        MenuEntry("content.hq", N_("HQ news"), "/admin/content/hq", "list", "content.hq.publish", 2, "content"),
        MenuEntry("content.submissions", N_("Submitted articles"), "/admin/content/hq/submissions", "send",
                  "content.hq.publish", 3, "content"),
        MenuEntry("content.settings", N_("Content settings"), "/admin/content/settings", "settings",
                  "content.moderate", 4, "content"),
    ),
    h5_links=(H5Link(N_("News"), "/h5/news", 5),),
    routes=(
        "routes.media",
        "routes.comments",
        "routes.admin.hq",
        "routes.admin.moderation",
        "routes.admin.settings",
        "routes.admin.submissions",
        "routes.h5.moderation",
        "routes.h5.news",
    ),
    jobs=("jobs",),
    demo="demo",
    setup=_setup,
)

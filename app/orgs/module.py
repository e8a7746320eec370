"""Alumni associations (ORG-01 … ORG-10): local, college, industry and interest associations in a tree, created by
HQ or applied for by alumni; profiles, councils and council meetings, members and join requests under each org's
own rules, address-book import/export, org admins appointed by HQ with a scope of their own, and a micro-site per
org (/o/<address>) with news, albums and guestbook from the content platform.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup


def _setup() -> None:
    from app.orgs import content_link  # late: reading the descriptor loads none of the services

    content_link.register()


MODULE = Module(
    name="orgs",
    package="app.orgs",
    permissions=(
        PermissionGroup("orgs", (
            ("orgs.org.admin", N_("Create and edit any alumni association, decide applications, appoint org admins"),
             "page"),
            ("orgs.org.manage", N_("Manage the alumni associations in your data scope"), "page"),
            ("orgs.member.export", N_("Export association address books"), "button"),
        )),
    ),
    menus=(
        MenuEntry("orgs", N_("Alumni associations"), "", "users", "", 200),
        MenuEntry("orgs.list", N_("Associations"), "/admin/associations", "tree", "orgs.org.manage", 1, "orgs"),
        MenuEntry("orgs.applications", N_("Association applications"), "/admin/associations/applications", "check",
                  "orgs.org.admin", 2, "orgs"),
    ),
    h5_links=(H5Link(N_("My associations"), "/h5/orgs", 5),),
    routes=(
        "routes.admin.applications",
        "routes.admin.associations",
        "routes.admin.content",
        "routes.admin.council",
        "routes.admin.meetings",
        "routes.admin.members",
        "routes.h5.admin",
        "routes.h5.microsite",
        "routes.h5.my_orgs",
    ),
    import_specs=("member_import",),
    audit_views=("audit_view",),
    demo="demo",
    setup=_setup,
)

"""The expert pool (EXP-01 … EXP-20): applications and approvals, the experts' own portal, certificates, the
taxonomy of fields, blacklist, smart search and statistics. Self-contained: it runs for a review office on the
support platform alone. This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule

MODULE = Module(
    name="experts",
    package="app.experts",
    permissions=(
        PermissionGroup("exp.pool", (
            ("exp.expert.view", N_("View the expert pool"), "page"),
            ("exp.expert.edit", N_("Add and edit experts"), "button"),
            ("exp.expert.remove", N_("Delete and blacklist experts"), "button"),
            ("exp.field.edit", N_("Manage the fields of expertise"), "page"),
            ("exp.expert.export", N_("Import and export experts"), "button"),
            ("exp.contact.view", N_("See experts' contact data in the reveal window"), "button"),
            ("exp.stats.view", N_("Expert statistics and monthly reports"), "page"),
            ("exp.invite.manage", N_("Invite experts and confirm their fees"), "page"),
        )),
        PermissionGroup("exp.approve", (
            ("exp.application.view", N_("View expert applications"), "page"),
            ("exp.approve.committee", N_("Approve expert applications (committee level)"), "button"),
            ("exp.approve.chief", N_("Approve expert applications (chief level)"), "button"),
        )),
    ),
    menus=(
        MenuEntry("experts", N_("Expert pool"), "", "users", "", 160),
        MenuEntry("experts.list", N_("Experts"), "/admin/experts", "users", "exp.expert.view", 1, "experts"),
        MenuEntry("experts.applications", N_("Expert applications"), "/admin/experts/applications", "check",
                  "exp.application.view", 2, "experts"),
        MenuEntry("experts.changes", N_("Profile changes"), "/admin/experts/changes", "edit", "exp.expert.edit", 3,
                  "experts"),
        MenuEntry("experts.search", N_("Smart search"), "/admin/experts/search", "search", "exp.expert.view", 2,
                  "experts"),
        MenuEntry("experts.invitations", N_("Invitations and fees"), "/admin/experts/invitations", "mail",
                  "exp.invite.manage", 5, "experts"),
        MenuEntry("experts.import", N_("Import experts"), "/admin/experts/import", "upload", "exp.expert.export", 6,
                  "experts"),
        MenuEntry("experts.tags", N_("Tag groups"), "/admin/experts/tags", "tag", "exp.expert.edit", 7, "experts"),
        MenuEntry("experts.stats", N_("Statistics and reports"), "/admin/experts/stats", "chart", "exp.stats.view", 8,
                  "experts"),
        MenuEntry("experts.fields", N_("Fields of expertise"), "/admin/experts/fields", "tree", "exp.field.edit", 4,
                  "experts"),
    ),
    h5_links=(H5Link(N_("My expert profile"), "/h5/expert", 30),),
    routes=(
        "routes.admin.experts",
        "routes.admin.applications",
        "routes.admin.fields",
        "routes.admin.changes",
        "routes.h5.apply",
        "routes.h5.portal",
        "routes.h5.certificates",
        "routes.h5.availability",
        "routes.admin.search",
        "routes.admin.imports",
        "routes.admin.tags",
        "routes.admin.stats",
        "routes.admin.invitations",
        "routes.h5.invitations",
        "routes.h5.fees",
    ),
    jobs=("jobs",),
    schedules=(Schedule("experts.invitation_reminders", "experts.invitation_reminders", 3600),),
    import_specs=("import_spec",),
    audit_views=("audit_view",),
    demo="demo",
)

"""The expert pool (EXP-01 … EXP-20): applications and approvals, the experts' own portal, certificates, the
taxonomy of fields, blacklist, smart search and statistics. Self-contained: it runs for a review office on the
support platform alone. This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup

MODULE = Module(
    name="experts",
    package="app.experts",
    permissions=(
        PermissionGroup("exp.pool", (
            ("exp.expert.view", N_("View the expert pool"), "page"),
            ("exp.expert.edit", N_("Add and edit experts"), "button"),
            ("exp.expert.remove", N_("Delete and blacklist experts"), "button"),
            ("exp.field.edit", N_("Manage the fields of expertise"), "page"),
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
    ),
    audit_views=("audit_view",),
    demo="demo",
)

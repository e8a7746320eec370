"""Identity (IDV-01 … IDV-05, SUP-05, SUP-08): every way a person logs in (school CAS and OIDC, WeChat web
OAuth, SMS code, the token API for school apps) and how they prove who they are (real-name check, alumni
claims matched against records, by questions, by face, or by manual review).
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule

PURGE_KIND = "idn.purge"


def _setup() -> None:
    from app.core import login_options
    from app.identity import login_entry  # late: reading the descriptor loads none of the services

    login_options.register(login_entry.options, login_entry.auto_redirect)


MODULE = Module(
    name="identity",
    package="app.identity",
    permissions=(
        PermissionGroup("idn.verify", (
            ("idn.review", N_("Review identity claims"), "page"),
            ("idn.claim.view", N_("View identity claims and real-name checks"), "page"),
            ("idn.stats.view", N_("View verification statistics"), "page"),
            ("idn.stats.export", N_("Export verification statistics"), "button"),
        )),
        PermissionGroup("idn.login", (
            ("idn.provider.admin", N_("Manage login providers (SSO, WeChat)"), "page"),
            ("idn.binding.admin", N_("View and remove users' login bindings"), "page"),
            ("idn.client.admin", N_("Manage the apps that use the identity token API"), "page"),
        )),
    ),
    menus=(
        MenuEntry("identity", N_("Identity"), "", "shield", "", 150),
        MenuEntry("identity.reviews", N_("Identity reviews"), "/admin/identity/reviews", "check", "idn.review", 1,
                  "identity"),
        MenuEntry("identity.stats", N_("Verification statistics"), "/admin/identity/stats", "chart", "idn.stats.view",
                  2, "identity"),
        MenuEntry("identity.providers", N_("Login providers"), "/admin/identity/providers", "key",
                  "idn.provider.admin", 3, "identity"),
        MenuEntry("identity.bindings", N_("Login bindings"), "/admin/identity/bindings", "link", "idn.binding.admin",
                  4, "identity"),
        MenuEntry("identity.clients", N_("App clients"), "/admin/identity/clients", "database", "idn.client.admin", 5,
                  "identity"),
    ),
    h5_links=(H5Link(N_("Alumni verification"), "/h5/identity", 1, primary=True),
              H5Link(N_("My login methods"), "/h5/me/logins", 20), H5Link(N_("My phone number"), "/h5/me/phone", 21)),
    routes=(
        "routes.sso",
        "routes.wechat",
        "routes.sms_login",
        "routes.admin.bindings",
        "routes.admin.clients",
        "routes.admin.providers",
        "routes.admin.reviews",
        "routes.admin.stats",
        "routes.api.token",
        "routes.h5.accounts",
        "routes.h5.claims",
        "routes.h5.realname",
        "routes.h5.reviews",
    ),
    jobs=("jobs",),
    schedules=(
        # face photos past their retention are deleted; spent codes and login states are pruned
        Schedule("idn.purge", PURGE_KIND, 3600),
    ),
    audit_views=("audit_view",),
    demo="demo",
    setup=_setup,
)

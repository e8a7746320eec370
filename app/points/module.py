"""Unified points service (SUP-09) and its admin: rules and tasks, ledger, levels, manual grants (MALL-01 … MALL-04).
This file is its table of contents: everything it registers with the app. Other modules use `app.points.api`
(earn/spend/refund/award)."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule


def _setup() -> None:
    from app.core import events
    from app.points import daily_login  # late: reading the descriptor loads none of the services

    events.subscribe("user.logged_in", daily_login.award)


MODULE = Module(
    name="points",
    package="app.points",
    permissions=(
        PermissionGroup("pts", (
            ("pts.ledger.view", N_("View the points ledger and balances"), "page"),
            ("pts.ledger.export", N_("Export the points ledger"), "button"),
            ("pts.rule.edit", N_("Manage points rules and tasks"), "page"),
            ("pts.level.edit", N_("Manage member levels"), "page"),
            ("pts.grant", N_("Grant or deduct points by hand"), "page"),
        )),
    ),
    menus=(
        MenuEntry("points", N_("Points management"), "", "star", "", 290),
        MenuEntry("points.ledger", N_("Points ledger"), "/admin/points/ledger", "list", "pts.ledger.view", 1, "points"),
        MenuEntry("points.grant", N_("Grant or deduct"), "/admin/points/grant", "edit", "pts.grant", 2, "points"),
        MenuEntry("points.rules", N_("Rules and tasks"), "/admin/points/rules", "settings", "pts.rule.edit", 3,
                  "points"),
        MenuEntry("points.levels", N_("Member levels"), "/admin/points/levels", "star", "pts.level.edit", 4, "points"),
    ),
    h5_links=(H5Link(N_("My points"), "/h5/points", 12),),
    routes=(
        "routes.admin.grants",
        "routes.admin.ledger",
        "routes.admin.levels",
        "routes.admin.rules",
        "routes.h5.balance",
    ),
    jobs=("jobs",),
    schedules=(
        # points past their validity expire (expiry.run; nothing while the policy is off)
        Schedule("pts.expire", "pts.expire", 3600),
    ),
    import_specs=("grant_import",),
    audit_views=("audit_view",),
    demo="demo",
    setup=_setup,
)

"""Operations (OPS-01 … OPS-08, SMS-12, CLS-05): events with typed signup forms, ticket types, waiting lists and
check-in; votes, surveys, micro-pages, lottery, coupons and mass messaging. This file is its table of contents:
everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule


def _setup() -> None:
    from app.ops import owner_links, page_links  # late: reading the descriptor loads none of the services

    owner_links.register()
    page_links.register()  # micro-pages bound to the alumni home (OPS-06)


MODULE = Module(
    name="ops",
    package="app.ops",
    permissions=(
        PermissionGroup("ops", (
            ("ops.event.manage", N_("Create and run events: tickets, forms, registrations, approvals"), "page"),
            ("ops.checkin", N_("Check people in at any event's door"), "button"),
            ("ops.page.manage", N_("Build micro-pages and bind them to menus"), "page"),
            ("ops.campaign.send", N_("Send mass messages to alumni"), "page"),
        )),
    ),
    menus=(
        MenuEntry("ops", N_("Operations"), "", "calendar", "", 150),
        MenuEntry("ops.events", N_("Events"), "/admin/ops/events", "calendar", "ops.event.manage", 1, "ops"),
        MenuEntry("ops.categories", N_("Event categories"), "/admin/ops/categories", "list", "ops.event.manage", 2,
                  "ops"),
        MenuEntry("ops.votes", N_("Votes"), "/admin/ops/votes", "check", "ops.event.manage", 4, "ops"),
        MenuEntry("ops.surveys", N_("Forms and surveys"), "/admin/ops/surveys", "list", "ops.event.manage", 6,
                  "ops"),
        MenuEntry("ops.coupons", N_("Coupons"), "/admin/ops/coupons", "tag", "ops.event.manage", 5, "ops"),
        MenuEntry("ops.pages", N_("Micro-pages"), "/admin/ops/pages", "file", "ops.page.manage", 7, "ops"),
        MenuEntry("ops.campaigns", N_("Mass messaging"), "/admin/ops/campaigns", "mail", "ops.campaign.send", 8,
                  "ops"),
        MenuEntry("ops.lotteries", N_("Lucky draws"), "/admin/ops/lotteries", "gift", "ops.event.manage", 3, "ops"),
    ),
    h5_links=(H5Link(N_("Events"), "/h5/events", 6), H5Link(N_("My tickets"), "/h5/tickets", 7),
              H5Link(N_("My coupons"), "/h5/coupons", 8)),
    routes=(
        "routes.admin.events",
        "routes.admin.event_forms",
        "routes.admin.registrations",
        "routes.admin.seating",
        "routes.admin.interaction",
        "routes.admin.lotteries",
        "routes.admin.votes",
        "routes.admin.coupons",
        "routes.admin.surveys",
        "routes.h5.events",
        "routes.h5.tickets",
        "routes.h5.pay",
        "routes.h5.wall",
        "routes.screen",
        "routes.h5.checkin",
        "routes.h5.lottery",
        "routes.h5.votes",
        "routes.h5.coupons",
        "routes.h5.surveys",
        "routes.admin.pages",
        "routes.h5.pages",
        "routes.admin.campaigns",
        "routes.h5.unsubscribe",
    ),
    jobs=("jobs", "campaign_jobs"),
    schedules=(Schedule("ops.reminders", "ops.reminders", 300),
               Schedule("ops.campaigns", "ops.campaigns.tick", 60),
               Schedule("ops.unpaid", "ops.unpaid", 60)),
    setup=_setup,
)

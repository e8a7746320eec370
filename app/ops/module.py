"""Operations (OPS-01 … OPS-08, SMS-12, CLS-05): events with typed signup forms, ticket types, waiting lists and
check-in; votes, surveys, micro-pages, lottery, coupons and mass messaging. This file is its table of contents:
everything it registers with the app."""
from app.core.i18n import N_
from app.core.modules import Module, PermissionGroup


def _setup() -> None:
    from app.ops import owner_links  # late: reading the descriptor loads none of the services

    owner_links.register()


MODULE = Module(
    name="ops",
    package="app.ops",
    permissions=(
        PermissionGroup("ops", (
            ("ops.event.manage", N_("Create and run events: tickets, forms, registrations, approvals"), "page"),
            ("ops.checkin", N_("Check people in at any event's door"), "button"),
        )),
    ),
    setup=_setup,
)

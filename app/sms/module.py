"""SMS platform (SMS-01 … SMS-13): gateway, console, HTTP API, channels.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import Module, PermissionGroup, Schedule
from app.sms import jobs, stats


def _register_notify_channel() -> None:
    from app.core import notify

    async def sender(delivery: dict, subject: str, body: str) -> None:
        from app.sms import notify_channel  # imported late: the package loads before the database is ready

        await notify_channel.send(delivery, subject, body)

    notify.register_channel("sms", sender)


MODULE = Module(
    name="sms",
    package="app.sms",
    permissions=(
        PermissionGroup("sms.console", (
            ("sms.console.send", N_("Send SMS from the console"), "page"),
            ("sms.template.edit", N_("Create and edit SMS templates"), "page"),
            ("sms.template.review", N_("Review SMS templates"), "button"),
            ("sms.record.view", N_("View sent SMS records"), "page"),
            ("sms.record.export", N_("Export SMS records"), "button"),
            ("sms.balance.view", N_("View SMS balance and ledger"), "page"),
            ("sms.balance.topup", N_("Top up SMS balance"), "button"),
            ("sms.stats.view", N_("View SMS statistics"), "page"),
            ("sms.contacts.edit", N_("Manage SMS address books"), "page"),
        )),
        PermissionGroup("sms.admin", (
            ("sms.account.admin", N_("Manage SMS accounts and sub-accounts"), "page"),
            ("sms.apikey.edit", N_("Manage SMS API keys"), "page"),
            ("sms.channel.admin", N_("Manage SMS channels"), "page"),
            ("sms.monitor.view", N_("Monitor the SMS platform"), "page"),
        )),
    ),
    menus=(
        MenuEntry("sms", N_("SMS platform"), "", "message", "", 400),
        MenuEntry("sms.send", N_("Send SMS"), "/admin/sms/send", "send", "sms.console.send", 1, "sms"),
        MenuEntry("sms.templates", N_("SMS templates"), "/admin/sms/templates", "file", "sms.template.edit", 2, "sms"),
        MenuEntry("sms.records", N_("SMS records"), "/admin/sms/records", "list", "sms.record.view", 3, "sms"),
        MenuEntry("sms.contacts", N_("Address books"), "/admin/sms/contacts", "book", "sms.contacts.edit", 4, "sms"),
        MenuEntry("sms.balance", N_("Balance"), "/admin/sms/balance", "wallet", "sms.balance.view", 5, "sms"),
        MenuEntry("sms.stats", N_("SMS statistics"), "/admin/sms/stats", "chart", "sms.stats.view", 6, "sms"),
        MenuEntry("sms.accounts", N_("SMS accounts"), "/admin/sms/accounts", "users", "sms.account.admin", 7, "sms"),
        MenuEntry("sms.api_keys", N_("API keys"), "/admin/sms/api-keys", "key", "sms.apikey.edit", 8, "sms"),
        MenuEntry("sms.channels", N_("SMS channels"), "/admin/sms/channels", "database", "sms.channel.admin", 9, "sms"),
        MenuEntry("sms.monitor", N_("SMS monitor"), "/admin/sms/monitor", "activity", "sms.monitor.view", 10, "sms"),
    ),
    routes=(
        "routes.admin.accounts",
        "routes.admin.balance",
        "routes.admin.channels",
        "routes.admin.console",
        "routes.admin.contacts",
        "routes.admin.records",
        "routes.admin.stats",
        "routes.admin.templates",
        "routes.api.v1",
    ),
    jobs=("jobs",),
    schedules=(
        Schedule("sms.unconfirmed", jobs.UNCONFIRMED_KIND, 900),
        Schedule("sms.stats.rollup", jobs.STATS_KIND, stats.REFRESH_SECONDS, {"days": stats.RECENT_DAYS}),
        Schedule("sms.stats.rollup_late", jobs.STATS_KIND, 86400, {"days": stats.LATE_DAYS}),  # late reports
        Schedule("sms.webhooks", jobs.WEBHOOKS_KIND, 15),
    ),
    import_specs=("contact_import",),
    audit_views=("audit_view",),
    demo="demo",
    setup=_register_notify_channel,
)

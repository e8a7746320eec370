"""The messenger (IM-01 … IM-13): 1:1 chats and groups with read pointers, recall, realtime over SSE through the
core realtime hub (PostgreSQL LISTEN/NOTIFY, Redis when scaled out), plain forms without JS.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule


def _setup() -> None:
    from app.im import accounts  # late: reading the descriptor loads none of the services

    accounts.register()  # service-account articles live on the content platform (owner kind "im_account")


MODULE = Module(
    name="im",
    package="app.im",
    permissions=(
        PermissionGroup("im", (
            ("im.admin", N_("Run the messenger: settings, governance, statistics"), "page"),
            ("im.official", N_("Post as the official account and answer its feedback"), "page"),
            ("im.accounts", N_("Run service accounts: columns, articles, comment moderation"), "page"),
            ("im.history.export", N_("Export group chat history as minutes"), "page"),
        )),
    ),
    menus=(
        MenuEntry("im", N_("Messenger"), "", "chat", "", 170),
        MenuEntry("im.official", N_("Official account"), "/admin/im/official", "mail", "im.official", 1, "im"),
        MenuEntry("im.accounts", N_("Service accounts"), "/admin/im/accounts", "news", "im.accounts", 2, "im"),
        MenuEntry("im.stats", N_("Messenger statistics"), "/admin/im/stats", "chart", "im.admin", 4, "im"),
        MenuEntry("im.history", N_("Chat history export"), "/admin/im/history", "download", "im.history.export", 3,
                  "im"),
    ),
    h5_links=(H5Link(N_("Messages"), "/h5/im", 5, primary=True),),
    routes=("routes.h5.chats", "routes.h5.stream", "routes.h5.groups", "routes.h5.signoffs", "routes.admin.official",
            "routes.h5.files", "routes.h5.contacts", "routes.h5.accounts", "routes.admin.accounts",
            "routes.h5.history", "routes.admin.history", "routes.admin.stats"),
    jobs=("jobs",),
    setup=_setup,
    schedules=(Schedule("im.files.purge", "im.files.purge", 86400),
               Schedule("im.temp_groups.purge", "im.temp_groups.purge", 86400)),
)

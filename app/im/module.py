"""The messenger (IM-01 … IM-13): 1:1 chats and groups with read pointers, recall, realtime over SSE through the
core realtime hub (PostgreSQL LISTEN/NOTIFY, Redis when scaled out), plain forms without JS.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.menus import MenuEntry
from app.core.modules import H5Link, Module, PermissionGroup, Schedule

MODULE = Module(
    name="im",
    package="app.im",
    permissions=(
        PermissionGroup("im", (
            ("im.admin", N_("Run the messenger: settings, governance, statistics"), "page"),
            ("im.official", N_("Post as the official account and answer its feedback"), "page"),
        )),
    ),
    menus=(
        MenuEntry("im", N_("Messenger"), "", "chat", "", 170),
        MenuEntry("im.official", N_("Official account"), "/admin/im/official", "mail", "im.official", 1, "im"),
    ),
    h5_links=(H5Link(N_("Messages"), "/h5/im", 5, primary=True),),
    routes=("routes.h5.chats", "routes.h5.stream", "routes.h5.groups", "routes.h5.signoffs", "routes.admin.official",
            "routes.h5.files"),
    jobs=("jobs",),
    schedules=(Schedule("im.files.purge", "im.files.purge", 86400),),
)

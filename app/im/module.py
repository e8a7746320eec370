"""The messenger (IM-01 … IM-13): 1:1 chats and groups with read pointers, recall, realtime over SSE through the
core realtime hub (PostgreSQL LISTEN/NOTIFY, Redis when scaled out), plain forms without JS.
This file is its table of contents: everything it registers with the app."""
from app.core.i18n import N_
from app.core.modules import H5Link, Module, PermissionGroup

MODULE = Module(
    name="im",
    package="app.im",
    permissions=(
        PermissionGroup("im", (
            ("im.admin", N_("Run the messenger: settings, governance, statistics"), "page"),
        )),
    ),
    h5_links=(H5Link(N_("Messages"), "/h5/im", 5, primary=True),),
    routes=("routes.h5.chats", "routes.h5.stream", "routes.h5.groups", "routes.h5.signoffs"),
)

"""create_app(): the simulator's Litestar app (served by granian from `python -m app idp`), and run()."""
from __future__ import annotations

import logging

from litestar import Litestar

from app.adapters.school_idp import cas, control, oidc, pages, realname, wechat
from app.adapters.school_idp.config import get_config
from app.adapters.school_idp.simulator import Simulator
from app.core import i18n


def create_app() -> Litestar:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    i18n.compile_catalogs()
    app = Litestar(route_handlers=[*cas.ROUTES, *oidc.ROUTES, *wechat.ROUTES, *realname.ROUTES, *control.ROUTES],
                   before_request=pages.use_locale, openapi_config=None, request_max_body_size=8 * 1024 * 1024)
    app.state.sim = Simulator(get_config())
    return app


def run(port: int) -> None:
    """Serve on 127.0.0.1:port with one granian worker (the state is in memory: one process holds it all)."""
    from granian import Granian
    from granian.constants import Interfaces

    Granian("app.adapters.school_idp.server:create_app", factory=True, interface=Interfaces.ASGI,
            address="127.0.0.1", port=port, workers=1, log_access=False).serve()

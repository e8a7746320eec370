"""Micro-pages bound to the alumni home (OPS-06): published pages flagged "show on the alumni home" become buttons
on /h5, through core's H5 link providers. `register()` is called from the module's setup."""
from __future__ import annotations

from app.core import modules
from app.core.modules import H5Link


async def home_links() -> list[H5Link]:
    from app.ops import micropages  # late: registering loads no service

    return [H5Link(row["title"], f"/h5/p/{row['slug']}", row["home_sort"]) for row in await micropages.home_pages()]


def register() -> None:
    modules.register_h5_link_provider(home_links)

"""The module contract. Each module describes itself with one `Module` in its `module.py` (routes, jobs,
schedules, import specs, audit views, menus, permissions, demo data); `app/modules.py` lists them and
`activate()` wires them in. Core never imports a module: it only reads the descriptors it is given.

Activation happens once per process (web, worker, CLI, tests) before anything serves or runs jobs.
"""
from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.core import jobs, menus, permissions

# Core's own job handlers (imports commit, message delivery, todo reminders, job pruning): a worker
# needs them whatever modules are installed.
CORE_JOB_FILES = ("app.core.imports", "app.core.notify", "app.core.todos", "app.core.job_retention")

Permission = tuple[str, str, str]  # (code, English label msgid, kind: menu | page | button)


@dataclass(frozen=True)
class PermissionGroup:
    name: str
    items: tuple[Permission, ...]


@dataclass(frozen=True)
class Schedule:
    """A recurring job: `kind` enqueued every `every_seconds` (admins may disable it)."""
    name: str
    kind: str
    every_seconds: int
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class H5Link:
    """A button on the alumni's "my account" page (/h5) leading into a module."""
    title: str  # English msgid, translated when shown
    url: str
    sort: int = 0
    primary: bool = False


@dataclass(frozen=True)
class Module:
    """File names are relative to the module's package ("routes.admin.orders" → app.mall.routes.admin.orders)."""
    name: str
    package: str
    permissions: tuple[PermissionGroup, ...] = ()
    menus: tuple[menus.MenuEntry, ...] = ()
    h5_links: tuple[H5Link, ...] = ()   # buttons on the alumni's /h5 page
    routes: tuple[str, ...] = ()        # each file exposes ROUTES (and may expose `shell_context`)
    jobs: tuple[str, ...] = ()          # files whose import registers @jobs.handler functions
    schedules: tuple[Schedule, ...] = ()
    import_specs: tuple[str, ...] = ()  # files whose import registers ImportSpecs
    audit_views: tuple[str, ...] = ()   # files whose import registers how the audit log shows entries
    demo: str = ""                      # file with `async def seed_demo()` (idempotent)
    setup: Callable[[], None] | None = None  # event subscriptions, message channels …

    def file(self, relative: str) -> Any:
        return importlib.import_module(f"{self.package}.{relative}")


_ACTIVE: dict[str, Module] = {}


def activate(modules: Iterable[Module]) -> list[Module]:
    """Register every module's permissions, menus, schedules, job handlers, import specs and audit views.
    Idempotent: a module already active is skipped."""
    for name in CORE_JOB_FILES:
        importlib.import_module(name)
    for module in modules:
        if module.name in _ACTIVE:
            continue
        _ACTIVE[module.name] = module
        for group in module.permissions:
            permissions.register(group.name, *group.items)
        menus.declare(*module.menus)
        for s in module.schedules:
            jobs.schedule(s.name, s.kind, s.every_seconds, s.payload)
        for relative in (*module.jobs, *module.import_specs, *module.audit_views):
            module.file(relative)
        if module.setup:
            module.setup()
    return active()


def active() -> list[Module]:
    return list(_ACTIVE.values())


def h5_links() -> list[H5Link]:
    return sorted((link for m in active() for link in m.h5_links), key=lambda link: link.sort)


H5LinkProvider = Callable[[], Awaitable[list[H5Link]]]
_H5_LINK_PROVIDERS: list[H5LinkProvider] = []


def register_h5_link_provider(provider: H5LinkProvider) -> None:
    """Buttons a module computes when /h5 is shown (e.g. micro-pages bound to the alumni home). Idempotent."""
    if provider not in _H5_LINK_PROVIDERS:
        _H5_LINK_PROVIDERS.append(provider)


async def all_h5_links() -> list[H5Link]:
    """The declared buttons and the providers' ones, in their sort order."""
    links = [link for m in active() for link in m.h5_links]
    for provider in _H5_LINK_PROVIDERS:
        links.extend(await provider())
    return sorted(links, key=lambda link: link.sort)


def route_files(module: Module) -> list[Any]:
    return [module.file(relative) for relative in module.routes]


async def seed_demos() -> None:
    """Every active module's demo data, in registry order (later modules may use earlier ones' data)."""
    for module in active():
        if module.demo:
            await module.file(module.demo).seed_demo()

"""Permissions (menu / page / button codes), data scope, and the guards every route declares.

A permission code such as "sup.user.edit" is the same string the menu, the buttons in templates and
the route guard use. Data scope travels into service SQL, never filtered after loading.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.core.i18n import LazyString, lazy


@dataclass(frozen=True)
class Perm:
    code: str
    label: LazyString
    kind: str = "page"  # menu / page / button
    group: str = ""


REGISTRY: dict[str, Perm] = {}


def register(group: str, *items: tuple[str, str, str]) -> None:
    """Declare a module's permissions: (code, English label msgid, kind)."""
    for code, label, kind in items:
        REGISTRY[code] = Perm(code, lazy(label), kind, group)


def groups() -> dict[str, list[Perm]]:
    out: dict[str, list[Perm]] = {}
    for perm in REGISTRY.values():
        out.setdefault(perm.group, []).append(perm)
    return out


SCOPES = {"all": lazy("All data"), "subtree": lazy("Org and sub-orgs"), "org": lazy("Own org only"),
          "self": lazy("Own records only")}


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything, some org subtrees / single orgs, or only their own records."""
    all: bool = False
    subtree_paths: tuple[str, ...] = ()
    org_ids: tuple[int, ...] = ()
    user_id: int | None = None

    @classmethod
    def from_roles(cls, roles: list[dict], user_id: int, user_org: int | None, user_path: str | None,
                   superuser: bool = False) -> Scope:
        if superuser or any(r["scope"] == "all" for r in roles):
            return cls(all=True, user_id=user_id)
        paths, orgs = set(), set()
        for r in roles:
            org, path = (r["org"], r["path"]) if r.get("org") else (user_org, user_path)
            if r["scope"] == "subtree" and path:
                paths.add(path)
            elif r["scope"] == "org" and org:
                orgs.add(org)
        return cls(subtree_paths=tuple(sorted(paths)), org_ids=tuple(sorted(orgs)), user_id=user_id)

    def allows(self, org_path: str | None, owner_id: int | None = None) -> bool:
        if self.all:
            return True
        if owner_id is not None and owner_id == self.user_id:
            return True
        if not org_path:
            return False
        if any(org_path.startswith(p) for p in self.subtree_paths):
            return True
        org_id = int(org_path.rstrip("/").rsplit("/", 1)[-1])
        return org_id in self.org_ids

    def sql(self, org_col: str, owner_col: str | None, args: list) -> str:
        """A WHERE fragment limiting rows to this scope; appends its parameters to args."""
        if self.all:
            return "TRUE"
        parts = []
        if self.subtree_paths or self.org_ids:
            args.append([p + "%" for p in self.subtree_paths])
            args.append(list(self.org_ids))
            parts.append(f"{org_col} IN (SELECT id FROM org_node WHERE path LIKE ANY(${len(args) - 1})"
                         f" OR id = ANY(${len(args)}))")
        if owner_col and self.user_id:
            args.append(self.user_id)
            parts.append(f"{owner_col} = ${len(args)}")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


@dataclass
class CurrentUser:
    id: int
    username: str
    name: str
    org_id: int | None
    org_name: str
    org_path: str | None
    kind: str
    is_superuser: bool
    perms: frozenset[str]
    scope: Scope
    lang: str = ""
    session_id: int | None = None
    role_names: list[str] = field(default_factory=list)

    def can(self, perm: str) -> bool:
        return self.is_superuser or perm in self.perms

    @property
    def display(self) -> str:
        return self.name or self.username


class NotAuthenticated(Exception):
    """No logged-in user where one is needed: the HTTP layer redirects to login."""


class PermissionDenied(Exception):
    """Logged in but not allowed: 403 with a clear message."""


def requires(*perms: str):
    """Route guard: logged in and holding every listed permission."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if user is None:
            raise NotAuthenticated()
        if not all(user.can(p) for p in perms):
            raise PermissionDenied()

    return guard


def login_required(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthenticated()


def ensure_scope(user: CurrentUser, org_path: str | None, owner_id: int | None = None) -> None:
    """Object-level check for detail/edit URLs: outside the data scope is 403, whatever the URL."""
    if not user.scope.allows(org_path, owner_id):
        raise PermissionDenied()

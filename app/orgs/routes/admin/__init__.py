"""The desktop admin pages of the associations, and what they share: the guards, the org every page under
/admin/associations/{id} works on (404 when missing, 403 and audited when outside the actor's scope) and the tabs
of an org's detail page."""
from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler

from app.core.forms import Field
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import NotAuthenticated, PermissionDenied, requires
from app.core.web import actor
from app.orgs import orgs
from app.support import org_tree

BASE = "/admin/associations"


def org_staff(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Route guard: HQ (orgs.org.admin) or an org admin (orgs.org.manage); the org's scope is checked per page."""
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthenticated()
    if not (user.can(orgs.ADMIN) or user.can(orgs.MANAGE)):
        raise PermissionDenied()


GUARD = [org_staff]
HQ_GUARD = [requires(orgs.ADMIN)]


async def managed_org(request: Request, org_id: int) -> dict:
    """The org of an admin page: inside the actor's scope, or 403 (audited); missing is 404."""
    try:
        return await orgs.for_manager(actor(request), org_id)
    except orgs.NotFound:
        raise NotFoundException() from None


async def hq_org(request: Request, org_id: int) -> dict:
    try:
        return await orgs.for_hq(actor(request), org_id)
    except orgs.NotFound:
        raise NotFoundException() from None


def org_tabs(org: dict, request: Request) -> list[tuple[str, str, str]]:
    """The tabs of an org's detail page: (key, label, href)."""
    base = f"{BASE}/{org['id']}"
    items = [("profile", _("Profile"), base), ("members", _("Members"), f"{base}/members"),
             ("requests", _("Join requests"), f"{base}/requests"), ("council", _("Council"), f"{base}/council"),
             ("meetings", _("Council meetings"), f"{base}/meetings"), ("news", _("News"), f"{base}/news"),
             ("albums", _("Albums"), f"{base}/albums"), ("guestbook", _("Guestbook"), f"{base}/guestbook")]
    if orgs.may_administer(actor(request), org):
        items.append(("admins", _("Org admins"), f"{base}/admins"))
    return items


def org_ctx(org: dict, request: Request, tab: str) -> dict:
    """What every org tab page passes to views/orgs/admin/org_base.html."""
    return {"org": org, "tab_items": org_tabs(org, request), "tab": tab, "kinds": orgs.KINDS, "statuses": orgs.STATUSES,
            "can_administer": orgs.may_administer(actor(request), org)}


# --- the org form's fields (new org, profile tab, application approval) ---------------------------------

def profile_fields() -> list[Field]:
    return [Field("summary", L("One-line introduction"), max_length=300,
                  help=L("Shown in lists and on the WeChat share card.")),
            Field("description", L("Introduction"), "textarea", max_length=200_000,
                  help=L("Rich text; pasted WeChat or Xiumi articles keep their look, scripts are removed.")),
            Field("region", L("Region"), max_length=100),
            Field("founded", L("Founded on"), "date"),
            Field("contact_name", L("Contact person"), max_length=64),
            Field("phone", L("Contact phone"), "phone", max_length=32),
            Field("email", L("Contact email"), "email", max_length=254),
            Field("address", L("Address"), max_length=300),
            Field("join_rule", L("Who may join"), "select", required=True, choices=list(orgs.JOIN_RULES.items())),
            Field("join_requirement", L("Join requirement"), "select", required=True,
                  choices=list(orgs.REQUIREMENTS.items())),
            Field("event_approval", L("Events started by members need an admin's approval"), "checkbox")]


def hq_fields(parents: list[tuple[str, str]], nodes: list[tuple[str, str]], new: bool) -> list[Field]:
    return [Field("name", L("Name"), required=True, max_length=100),
            Field("slug", L("Micro-site address"), required=True, max_length=40, placeholder=L("e.g. bj"),
                  help=L("The micro-site is at /o/<address>: lower-case letters, digits and hyphens.")),
            Field("kind", L("Kind"), "select", required=True, choices=list(orgs.KINDS.items())),
            Field("parent", L("Parent association"), "select", choices=parents, help=L("Empty = top level.")),
            Field("node", L("Org node (data scope)"), "select", choices=nodes,
                  help=L("Empty: a new node is created under the parent's node.") if new else ""),
            Field("status", L("Status"), "select", required=True, choices=list(orgs.STATUSES.items())),
            Field("sort", L("Sort order"), "int")]


async def node_choices(request: Request) -> list[tuple[str, str]]:
    return [(str(n["id"]), "\u3000" * n["level"] + n["name"]) for n in await org_tree.flat(actor(request).scope)]

"""Coupon types on the desktop (OPS-08): the list with issued / used counts, a new type (kind, validity, issued by
hand or on an event's signup / check-in, redeemed by the holder or by listed staff), and issuing by hand to
usernames or phone numbers pasted one per line."""
from __future__ import annotations

import re

from litestar import Request, Response, get, post

from app.core import db
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, form_data, int_param, redirect, render
from app.ops import access, coupons

BASE = "/admin/ops/coupons"
GUARD = [requires(access.MANAGE)]


def type_fields(event_choices: list[tuple[str, str]]) -> list[Field]:
    return [Field("name", L("Name"), required=True, max_length=100),
            Field("kind", L("Kind"), "select", required=True, choices=list(coupons.KINDS.items())),
            Field("description", L("Description"), max_length=500),
            Field("valid_from", L("Valid from"), "datetime"), Field("valid_to", L("Valid until"), "datetime"),
            Field("issue_on", L("Issued"), "select", required=True, choices=list(coupons.ISSUE_ON.items())),
            Field("event", L("Event (for automatic issuing)"), "select", choices=event_choices),
            Field("self_redeem", L("The holder may redeem it themselves"), "checkbox"),
            Field("redeemers", L("Staff who redeem it (usernames, one per line)"), "textarea", max_length=2000)]


async def _users(text: str) -> list[int]:
    names = [n.strip() for n in re.split(r"[\s,，]+", text or "") if n.strip()]
    if not names:
        return []
    rows = await db.fetch("SELECT id, username, phone FROM app_user WHERE username = ANY($1) OR phone = ANY($1)",
                          names)
    found = {r["username"] for r in rows} | {r["phone"] for r in rows if r["phone"]}
    missing = [n for n in names if n not in found]
    if missing:
        raise Invalid("redeemers", _("Unknown users: %(names)s", names="、".join(missing[:10])))
    return [r["id"] for r in rows]


async def _page(request: Request, form: Form | None = None, error: str = "", status: int = 200) -> Response:
    events = await db.fetch("SELECT id, title FROM ops_event WHERE status IN ('draft', 'published') ORDER BY"
                            " starts_at DESC LIMIT 100")
    choices = [(str(e["id"]), e["title"]) for e in events]
    return await render(request, "ops/admin/coupons.html", types=await coupons.types(), kinds=coupons.KINDS,
                        issue_on=coupons.ISSUE_ON, error=error, status=status,
                        form=form or Form(type_fields(choices), data={"kind": "meal", "issue_on": "manual"}))


@get(BASE, guards=GUARD)
async def coupon_types(request: Request) -> Response:
    return await _page(request)


@post(BASE, guards=GUARD)
async def coupon_type_create(request: Request) -> Response:
    data = await form_data(request)
    events = await db.fetch("SELECT id, title FROM ops_event ORDER BY starts_at DESC LIMIT 100")
    form = Form(type_fields([(str(e["id"]), e["title"]) for e in events]), data=data)
    if form.validate():
        try:
            values = dict(form.cleaned)
            values["event"] = int(values["event"]) if values.get("event") else None
            values["redeemers"] = await _users(values.get("redeemers") or "")
            await coupons.save_type(actor(request), values)
            return redirect(request, BASE, _("Coupon type saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _page(request, form, status=422)


@post(f"{BASE}/{{type_id:int}}/issue", guards=GUARD)
async def coupon_issue(request: Request, type_id: int) -> Response:
    data = await form_data(request)
    try:
        user_ids = await _users(data.get("users") or "")
        if not user_ids:
            raise Invalid("users", _("Enter at least one username or phone number."))
        count = await coupons.issue_manually(actor(request), int_param(type_id) or 0, user_ids)
    except Invalid as exc:
        return await _page(request, error=exc.message, status=422)
    except access.NotFound:
        return redirect(request, BASE)
    return redirect(request, BASE, _("%(n)s coupons issued.", n=count))


ROUTES = [coupon_types, coupon_type_create, coupon_issue]

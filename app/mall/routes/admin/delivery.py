"""Delivery configuration pages (MALL-08): shipping-fee rules by region prefix and pickup points."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.mall import delivery

GUARD = [requires("mall.delivery.edit")]
BASE = "/admin/mall/delivery"
FIELDS = {
    "rules": [
        Field("region_prefix", L("Region code prefix"), max_length=6,
              help=L("GB/T 2260: 2 digits = province (11), 4 = city (1101), 6 = district; empty = default rule.")),
        Field("fee", L("Shipping fee (yuan)"), required=True),
        Field("free_over_points", L("Free shipping from (points)"), "int", min_value=0,
              help=L("Orders worth at least this many points ship free; 0 = never free.")),
        Field("enabled", L("Enabled"), "checkbox"),
    ],
    "points": [
        Field("name", L("Pickup point"), required=True, max_length=100),
        Field("region_code", L("District code"), max_length=6, help=L("6-digit GB/T 2260 code, optional.")),
        Field("address", L("Address"), required=True, max_length=200),
        Field("hours", L("Opening hours"), max_length=100),
        Field("contact", L("Contact person"), max_length=64),
        Field("phone", L("Phone"), max_length=32),
        Field("sort", L("Sort order"), "int"),
        Field("enabled", L("Enabled"), "checkbox"),
    ],
}
TITLES = {"rules": (L("New shipping rule"), L("Edit shipping rule")),
          "points": (L("New pickup point"), L("Edit pickup point"))}


@get(BASE, guards=GUARD)
async def delivery_home(request: Request) -> Response:
    return await render(request, "mall/admin/delivery.html", rules=await delivery.list_rules(),
                        points=await delivery.pickup_points(enabled_only=False))


async def _load(kind: str, item_id: int) -> dict:
    try:
        return await (delivery.get_rule(item_id) if kind == "rules" else delivery.get_point(item_id))
    except delivery.NotFound:
        raise NotFoundException() from None


def _as_form(kind: str, row: dict) -> dict:
    """Stored values as the form shows them (fees in yuan)."""
    data = dict(row)
    if kind == "rules":
        data["fee"] = f"{row['fee'] / 100:g}"
    data["enabled"] = "on" if row.get("enabled") else ""
    return data


async def _form(request: Request, kind: str, data: dict, item_id: int | None = None, errors: dict | None = None,
                status: int = 200) -> Response:
    form = Form(FIELDS[kind], data=data, errors=errors or {})
    return await render(request, "mall/admin/simple_form.html", form=form, title=TITLES[kind][item_id is not None],
                        action=f"{BASE}/{kind}/{item_id}" if item_id else f"{BASE}/{kind}", cancel=BASE,
                        status=status)


async def _save(request: Request, kind: str, item_id: int | None) -> Response:
    data = await form_data(request)
    save = delivery.save_rule if kind == "rules" else delivery.save_point
    try:
        await save(actor(request), data, item_id)
    except Invalid as exc:
        return await _form(request, kind, data, item_id, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, BASE, _("Saved."))


@get(f"{BASE}/{{kind:str}}/new", guards=GUARD)
async def delivery_new(request: Request, kind: str) -> Response:
    if kind not in ("rules", "points"):
        raise NotFoundException()
    return await _form(request, kind, {"enabled": "on", "sort": "0"})


@post(f"{BASE}/{{kind:str}}", guards=GUARD)
async def delivery_create(request: Request, kind: str) -> Response:
    if kind not in ("rules", "points"):
        raise NotFoundException()
    return await _save(request, kind, None)


@get(f"{BASE}/{{kind:str}}/{{item_id:int}}/edit", guards=GUARD)
async def delivery_edit(request: Request, kind: str, item_id: int) -> Response:
    return await _form(request, kind, _as_form(kind, await _load(kind, item_id)), item_id)


@post(f"{BASE}/{{kind:str}}/{{item_id:int}}", guards=GUARD)
async def delivery_update(request: Request, kind: str, item_id: int) -> Response:
    await _load(kind, item_id)
    return await _save(request, kind, item_id)


@get(f"{BASE}/{{kind:str}}/{{item_id:int}}/delete", guards=GUARD)
async def delivery_delete_confirm(request: Request, kind: str, item_id: int) -> Response:
    row = await _load(kind, item_id)
    name = row.get("name") or row.get("region_prefix") or _("Default rule")
    return await confirm_page(request, _("Delete"), _("Delete “%(name)s”?", name=name),
                              f"{BASE}/{kind}/{item_id}/delete", BASE)


@post(f"{BASE}/{{kind:str}}/{{item_id:int}}/delete", guards=GUARD)
async def delivery_delete(request: Request, kind: str, item_id: int) -> Response:
    await _load(kind, item_id)
    try:
        if kind == "rules":
            await delivery.delete_rule(actor(request), item_id)
        else:
            await delivery.delete_point(actor(request), item_id)
    except Conflict as exc:
        return redirect(request, BASE, str(exc), "error")
    return redirect(request, BASE, _("Deleted."))


ROUTES = [delivery_home, delivery_new, delivery_create, delivery_edit, delivery_update, delivery_delete_confirm,
          delivery_delete]

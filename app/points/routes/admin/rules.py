"""Points rules and tasks admin (MALL-01): list, create, edit, enable/disable, delete (confirmed); the
points expiry policy (app.points.expiry) is edited on the same page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import sqlfilter
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, submit
from app.points import expiry, rules

GUARD = [requires("pts.rule.edit")]
BASE = "/admin/points/rules"


async def _load(rule_id: int) -> dict:
    try:
        return await rules.get_rule(rule_id)
    except rules.NotFound:
        raise NotFoundException() from None


async def _list_page(request: Request, expiry_form=None, status: int = 200) -> Response:
    page = await rules.list_rules(sqlfilter.text(request.query_params, "q"),
                                  PageRequest.from_query(request.query_params))
    policy = await expiry.get_policy()
    return await render(request, "points/admin/rules.html", page=page, block="results", status=status,
                        expiry_form=expiry_form or expiry.policy_form(expiry.form_data(policy)),
                        expiry_summary=expiry.describe(policy))


@get(BASE, guards=GUARD)
async def rule_list(request: Request) -> Response:
    return await _list_page(request)


@post(f"{BASE}/expiry", guards=GUARD)
async def expiry_update(request: Request) -> Response:
    form = expiry.policy_form(await form_data(request))
    done = await submit(request, form, lambda cleaned: expiry.save_policy(actor(request), cleaned), BASE,
                        _("Expiry policy saved."))
    return done or await _list_page(request, form, status=422)


async def _form_page(request: Request, form, rule: dict | None = None, status: int = 200) -> Response:
    return await render(request, "points/admin/rule_form.html", form=form, rule=rule, status=status)


@get(f"{BASE}/new", guards=GUARD)
async def rule_new(request: Request) -> Response:
    return await _form_page(request, rules.rule_form({"enabled": "on", "points": 10, "sort": 0}))


@post(BASE, guards=GUARD)
async def rule_create(request: Request) -> Response:
    form = rules.rule_form(await form_data(request))
    done = await submit(request, form, lambda cleaned: rules.create_rule(actor(request), cleaned), BASE,
                        _("Rule created."))
    return done or await _form_page(request, form, status=422)


@get(f"{BASE}/{{rule_id:int}}", guards=GUARD)
async def rule_edit(request: Request, rule_id: int) -> Response:
    rule = await _load(rule_id)
    data = {**rule, "enabled": "on" if rule["enabled"] else ""}
    return await _form_page(request, rules.rule_form(data, creating=False), rule)


@post(f"{BASE}/{{rule_id:int}}", guards=GUARD)
async def rule_update(request: Request, rule_id: int) -> Response:
    rule = await _load(rule_id)
    form = rules.rule_form(await form_data(request), creating=False)
    done = await submit(request, form, lambda cleaned: rules.update_rule(actor(request), rule_id, cleaned), BASE,
                        _("Rule saved."))
    return done or await _form_page(request, form, rule, status=422)


@post(f"{BASE}/{{rule_id:int}}/toggle", guards=GUARD)
async def rule_toggle(request: Request, rule_id: int) -> Response:
    rule = await _load(rule_id)
    await rules.set_enabled(actor(request), rule_id, not rule["enabled"])
    return redirect(request, BASE, _("Rule disabled.") if rule["enabled"] else _("Rule enabled."))


@get(f"{BASE}/{{rule_id:int}}/delete", guards=GUARD)
async def rule_delete_confirm(request: Request, rule_id: int) -> Response:
    rule = await _load(rule_id)
    return await confirm_page(request, _("Delete rule"),
                              _("Delete the rule “%(name)s” (%(action)s)? Modules awarding this action get no more "
                                "points; points already awarded stay.", name=rule["name"], action=rule["action"]),
                              f"{BASE}/{rule_id}/delete", BASE)


@post(f"{BASE}/{{rule_id:int}}/delete", guards=GUARD)
async def rule_delete(request: Request, rule_id: int) -> Response:
    try:
        await rules.delete_rule(actor(request), rule_id)
    except rules.NotFound:
        raise NotFoundException() from None
    return redirect(request, BASE, _("Rule deleted."))


ROUTES = [rule_list, expiry_update, rule_new, rule_create, rule_edit, rule_update, rule_toggle, rule_delete_confirm,
          rule_delete]

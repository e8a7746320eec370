"""Record rules (REC-11, REC-15): duplicate rules (fields that must match) and auto-update rules (per
field: overwrite / fill if empty / needs review) on one page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import sqlfilter
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.records import auto_update, dedupe

GUARD = [requires("rec.rules.edit")]


async def _page(request: Request, errors: dict | None = None, data: dict | None = None, status: int = 200) -> Response:
    return await render(request, "records/admin/rules.html", status=status, dedupe_rules=await dedupe.rules(),
                        key_fields=[(k, str(label)) for k, (_sql, label) in dedupe.KEY_FIELDS.items()],
                        auto_rules=await auto_update.rules(), modes=auto_update.MODES,
                        self_fields=await auto_update.self_fields(), errors=errors or {}, data=data or {},
                        edit=request.query_params.get("edit") or "")


@get("/admin/records/rules", guards=GUARD)
async def rule_page(request: Request) -> Response:
    return await _page(request)


def _list(value) -> list[str]:
    return value if isinstance(value, list) else [value] if value else []




@post("/admin/records/rules/dedupe", guards=GUARD)
async def dedupe_save(request: Request) -> Response:
    data = await form_data(request)
    try:
        sort = int(data.get("sort") or 0)
        await dedupe.save_rule(actor(request), sqlfilter.to_id(data.get("id")), data.get("name", ""),
                               _list(data.get("fields")), data.get("enabled") == "on", sort)
    except (Invalid, ValueError) as exc:
        message = exc.message if isinstance(exc, Invalid) else _("Enter a whole number.")
        return await _page(request, {"dedupe": message}, data, 422)
    except LookupError:
        raise NotFoundException() from None
    return redirect(request, "/admin/records/rules", _("Duplicate rule saved."))


@post("/admin/records/rules/auto", guards=GUARD)
async def auto_save(request: Request) -> Response:
    data = await form_data(request)
    try:
        await auto_update.save_rule(actor(request), sqlfilter.to_id(data.get("id")), data.get("field", ""),
                                    data.get("mode", ""), data.get("enabled", "on") == "on")
    except Invalid as exc:
        return await _page(request, {"auto": exc.message}, data, 422)
    except LookupError:
        raise NotFoundException() from None
    return redirect(request, "/admin/records/rules", _("Auto-update rule saved."))


@get("/admin/records/rules/{rule_id:int}/delete", guards=GUARD)
async def rule_delete_confirm(request: Request, rule_id: int) -> Response:
    return await confirm_page(request, title=_("Delete rule"), message=_("Delete this rule?"),
                              action=f"/admin/records/rules/{rule_id}/delete", cancel="/admin/records/rules")


@post("/admin/records/rules/{rule_id:int}/delete", guards=GUARD)
async def rule_delete(request: Request, rule_id: int) -> Response:
    try:
        await dedupe.delete_rule(actor(request), rule_id)
    except LookupError:
        raise NotFoundException() from None
    return redirect(request, "/admin/records/rules", _("Rule deleted."))


ROUTES = [rule_page, dedupe_save, auto_save, rule_delete_confirm, rule_delete]

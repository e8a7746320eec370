"""Content settings: per owner, which kinds of new items wait for a moderator (GET/POST
/admin/content/owners/{kind}/{id}/moderation — for whoever moderates that owner; the owning modules link here),
and for the deployment what a sensitive word does (/admin/content/settings, content.moderate)."""
from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post

from app.content import compliance, moderation, owners, remote_images
from app.content.routes import http_errors
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.permissions import PermissionDenied, login_required, requires
from app.core.web import actor, form_data, redirect, render, safe_next

OWNER_BASE = "/admin/content/owners/{kind:str}/{owner_id:int}/moderation"


async def _owner(request: Request, kind: str, owner_id: int) -> tuple[tuple[str, int], dict]:
    if kind not in owners.kinds():
        raise PermissionDenied()
    owner = (kind, owner_id)
    if not await owners.can_moderate(actor(request), owner):
        raise PermissionDenied()
    return owner, owners.owner_kind(kind).item_kinds or {k: moderation.ITEM_LABELS[k]
                                                           for k in ("article", "album", "photo", "comment")}


@get(OWNER_BASE, guards=[login_required])
async def owner_settings(request: Request, kind: str, owner_id: int) -> Response:
    owner, kinds = await _owner(request, kind, owner_id)
    back = safe_next(request.query_params.get("next"), await owners.owner_url(owner))
    return await render(request, "content/admin/owner_settings.html", owner=owner, kinds=kinds, back=back,
                        name=await owners.owner_name(owner), values=await moderation.settings_of(owner, list(kinds)))


@post(OWNER_BASE, guards=[login_required])
async def owner_settings_save(request: Request, kind: str, owner_id: int) -> Response:
    owner, kinds = await _owner(request, kind, owner_id)
    data = await form_data(request)
    chosen = data.get("moderated") or []
    chosen = set(chosen if isinstance(chosen, list) else [chosen])
    who = actor(request)
    with http_errors():
        for item_kind in kinds:
            await moderation.set_moderation(who, owner, item_kind, item_kind in chosen)
    back = safe_next(data.get("next"), await owners.owner_url(owner))
    return redirect(request, f"/admin/content/owners/{kind}/{owner_id}/moderation?next={quote(back, safe='/')}",
                    _("Moderation settings saved."))


@get("/admin/content/settings", guards=[requires(owners.MODERATE_ALL)])
async def site_settings(request: Request) -> Response:
    return await _settings_page(request, await compliance.sensitive_action(),
                                "\n".join(sorted(await remote_images.allowed_hosts())))


async def _settings_page(request: Request, action: str, hosts: str, errors: dict | None = None) -> Response:
    return await render(request, "content/admin/settings.html", action=action, hosts=hosts,
                        words=await compliance.words(), errors=errors or {}, status=422 if errors else 200)


@post("/admin/content/settings", guards=[requires(owners.MODERATE_ALL)])
async def site_settings_save(request: Request) -> Response:
    data = await form_data(request)
    choice = data.get("action") if isinstance(data.get("action"), str) else ""
    hosts = data.get("image_hosts") if isinstance(data.get("image_hosts"), str) else None
    saves = [(compliance.set_sensitive_action, choice)]
    if hosts is not None:  # a form without the field leaves the list alone
        saves.append((remote_images.set_allowed_hosts, hosts))
    errors = {}
    for save, value in saves:
        try:
            await save(actor(request), value)
        except Invalid as exc:
            errors[exc.field] = exc.message
    if errors:  # what was valid is saved; the page shows what was typed with the messages
        return await _settings_page(request, choice, hosts or "", errors)
    return redirect(request, "/admin/content/settings", _("Content settings saved."))


ROUTES = [owner_settings, owner_settings_save, site_settings, site_settings_save]

"""Tag groups admin (EXP-16): groups and their tags (create, rename, delete behind a confirm page with the
counts), one tag's experts with paging, and tagging / untagging experts ticked on the page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, page_param, redirect, render
from app.experts import tags

BASE = "/admin/experts/tags"
EDIT = [requires("exp.expert.edit")]


def _ids(data: dict) -> list[int]:
    raw = data.get("ids") or []
    return [int(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v).isdigit() and len(str(v)) < 19]


async def _index(request: Request, errors: dict | None = None, data: dict | None = None, status: int = 200,
                 editing: dict | None = None) -> Response:
    return await render(request, "experts/admin/tags.html", groups=await tags.groups(), errors=errors or {},
                        data=data or {}, editing=editing, status=status)


async def _group(group_id: int) -> dict:
    try:
        return await tags.get_group(group_id)
    except tags.NotFound:
        raise NotFoundException() from None


async def _tag(tag_id: int) -> dict:
    try:
        return await tags.get_tag(tag_id)
    except tags.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=EDIT)
async def tag_index(request: Request) -> Response:
    return await _index(request)


@post(f"{BASE}/groups", guards=EDIT)
async def group_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        await tags.save_group(actor(request), data)
    except Invalid as exc:
        return await _index(request, {f"group_{exc.field}": exc.message}, data, 422)
    return redirect(request, BASE, _("Tag group saved."))


@get(f"{BASE}/groups/{{group_id:int}}", guards=EDIT)
async def group_edit(request: Request, group_id: int) -> Response:
    group = await _group(group_id)
    return await _index(request, data={"group_name": group["name"], "group_sort": group["sort"]}, editing=group)


@post(f"{BASE}/groups/{{group_id:int}}", guards=EDIT)
async def group_update(request: Request, group_id: int) -> Response:
    group = await _group(group_id)
    data = await form_data(request)
    try:
        await tags.save_group(actor(request), data, group_id)
    except Invalid as exc:
        return await _index(request, {f"group_{exc.field}": exc.message},
                            {"group_name": data.get("name"), "group_sort": data.get("sort")}, 422, group)
    return redirect(request, BASE, _("Tag group saved."))


@get(f"{BASE}/groups/{{group_id:int}}/delete", guards=EDIT)
async def group_delete_confirm(request: Request, group_id: int) -> Response:
    group = await _group(group_id)
    return await confirm_page(
        request, title=_("Delete the tag group %(name)s?", name=group["name"]),
        message=_("Its %(tags)s tags are deleted with it and %(n)s experts lose them. This cannot be undone.",
                  tags=group["tags"], n=group["taggings"]),
        action=f"{BASE}/groups/{group_id}/delete", cancel=BASE)


@post(f"{BASE}/groups/{{group_id:int}}/delete", guards=EDIT)
async def group_delete(request: Request, group_id: int) -> Response:
    await _group(group_id)
    await tags.delete_group(actor(request), group_id)
    return redirect(request, BASE, _("Tag group deleted."))


@post(f"{BASE}/new", guards=EDIT)
async def tag_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        tag_id = await tags.save_tag(actor(request), data)
    except Invalid as exc:
        return await _index(request, {f"tag_{exc.field}": exc.message}, {"tag_name": data.get("name"),
                                                                         "tag_group": data.get("group")}, 422)
    return redirect(request, f"{BASE}/{tag_id}", _("Tag saved."))


async def _tag_page(request: Request, tag: dict, errors: dict | None = None, status: int = 200) -> Response:
    params = request.query_params
    q = (params.get("q") or "").strip()[:100]
    members = await tags.experts_of_tag(tag["id"], PageRequest.from_query(params))
    found = await tags.candidates(tag["id"], q, PageRequest(page=page_param(params.get("cpage")), per_page=20))
    return await render(request, "experts/admin/tag.html", tag=tag, members=members, found=found, q=q,
                        errors=errors or {}, status=status)


@get(f"{BASE}/{{tag_id:int}}", guards=EDIT)
async def tag_detail(request: Request, tag_id: int) -> Response:
    return await _tag_page(request, await _tag(tag_id))


@post(f"{BASE}/{{tag_id:int}}", guards=EDIT)
async def tag_update(request: Request, tag_id: int) -> Response:
    tag = await _tag(tag_id)
    try:
        await tags.save_tag(actor(request), await form_data(request), tag_id)
    except Invalid as exc:
        return await _tag_page(request, tag, {exc.field: exc.message}, 422)
    return redirect(request, f"{BASE}/{tag_id}", _("Tag saved."))


@get(f"{BASE}/{{tag_id:int}}/delete", guards=EDIT)
async def tag_delete_confirm(request: Request, tag_id: int) -> Response:
    tag = await _tag(tag_id)
    return await confirm_page(
        request, title=_("Delete the tag %(name)s?", name=tag["label"]),
        message=_("%(n)s experts lose this tag. This cannot be undone.", n=tag["experts"]),
        action=f"{BASE}/{tag_id}/delete", cancel=f"{BASE}/{tag_id}")


@post(f"{BASE}/{{tag_id:int}}/delete", guards=EDIT)
async def tag_delete(request: Request, tag_id: int) -> Response:
    await _tag(tag_id)
    await tags.delete_tag(actor(request), tag_id)
    return redirect(request, BASE, _("Tag deleted."))


@post(f"{BASE}/{{tag_id:int}}/add", guards=EDIT)
async def tag_add(request: Request, tag_id: int) -> Response:
    await _tag(tag_id)
    try:
        n = await tags.tag_experts(actor(request), tag_id, _ids(await form_data(request)))
    except Conflict as exc:
        return redirect(request, f"{BASE}/{tag_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{tag_id}", _("%(n)s experts tagged.", n=n))


@post(f"{BASE}/{{tag_id:int}}/remove", guards=EDIT)
async def tag_remove(request: Request, tag_id: int) -> Response:
    await _tag(tag_id)
    try:
        n = await tags.untag_experts(actor(request), tag_id, _ids(await form_data(request)))
    except Conflict as exc:
        return redirect(request, f"{BASE}/{tag_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{tag_id}", _("%(n)s experts untagged.", n=n))


ROUTES = [tag_index, group_create, group_edit, group_update, group_delete_confirm, group_delete, tag_create,
          tag_detail, tag_update, tag_delete_confirm, tag_delete, tag_add, tag_remove]

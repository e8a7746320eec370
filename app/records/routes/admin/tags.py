"""Tags (REC-06, REC-07): list, create/edit/delete, members, assign/remove on one or many records,
recompute a smart tag on demand (a job; its status page shows progress)."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render, safe_next
from app.records import api, query, saved_queries, tags
from app.records.routes.admin import query_page_url
from app.support import org_tree

GUARD = [requires("rec.tag.edit")]
BASE = "/admin/records/tags"


async def _tag(request: Request, tag_id: int) -> dict:
    try:
        return await tags.get_tag(actor(request), tag_id)
    except tags.NotFound:
        raise NotFoundException() from None


@get(BASE, guards=GUARD)
async def tag_list(request: Request) -> Response:
    params = request.query_params
    kind = params.get("kind") or ""
    page = await tags.list_tags(actor(request), kind, params.get("q") or "", PageRequest.from_query(params))
    return await render(request, "records/admin/tags.html", page=page, kinds=tags.KINDS, colors=tags.COLORS,
                        block="results")


async def _form(request: Request, data: dict, tag: dict | None = None, errors: dict | None = None,
                status: int = 200) -> Response:
    who = actor(request)
    saved = await saved_queries.saved_queries(who)
    return await render(request, "records/admin/tag_form.html", data=data, tag=tag, errors=errors or {}, status=status,
                        kinds=tags.KINDS, colors=tags.COLORS, saved=saved,
                        orgs=await org_tree.flat(request.scope["user"].scope), whole_school=who.scope.all,
                        summary=await query.summary(tag["query"]) if tag else "")


@get(f"{BASE}/new", guards=GUARD)
async def tag_new(request: Request) -> Response:
    kind = request.query_params.get("kind") if request.query_params.get("kind") in tags.KINDS else "manual"
    return await _form(request, {"kind": kind, "color": "blue", "saved_query": request.query_params.get("saved", "")})


@post(BASE, guards=GUARD)
async def tag_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        tag_id = await tags.create_tag(actor(request), data)
    except Invalid as exc:
        return await _form(request, data, errors={exc.field or "__all__": exc.message}, status=422)
    return redirect(request, f"{BASE}/{tag_id}", _("Tag created."))


@get(f"{BASE}/{{tag_id:int}}", guards=GUARD)
async def tag_detail(request: Request, tag_id: int) -> Response:
    tag = await _tag(request, tag_id)
    page = await tags.members(actor(request), tag_id, PageRequest.from_query(request.query_params))
    summary = await query.summary(tag["query"])
    return await render(request, "records/admin/tag_members.html", tag=tag, page=page, summary=summary, block="results",
                        query_url=query_page_url(query.normalize(tag["query"])) if tag["query"] else "")


@get(f"{BASE}/{{tag_id:int}}/edit", guards=GUARD)
async def tag_edit(request: Request, tag_id: int) -> Response:
    tag = await _tag(request, tag_id)
    return await _form(request, {**tag, "org": tag["org"] or ""}, tag)


@post(f"{BASE}/{{tag_id:int}}", guards=GUARD)
async def tag_update(request: Request, tag_id: int) -> Response:
    tag = await _tag(request, tag_id)
    data = await form_data(request)
    try:
        await tags.update_tag(actor(request), tag_id, data)
    except Invalid as exc:
        return await _form(request, {**data, "kind": tag["kind"]}, tag, errors={exc.field or "__all__": exc.message},
                           status=422)
    return redirect(request, f"{BASE}/{tag_id}", _("Tag saved."))


@get(f"{BASE}/{{tag_id:int}}/delete", guards=GUARD)
async def tag_delete_confirm(request: Request, tag_id: int) -> Response:
    tag = await _tag(request, tag_id)
    return await confirm_page(request, _("Delete tag"),
                              _("Delete the tag “%(name)s”? It is removed from all %(n)s records that carry it.",
                                name=tag["name"], n=tag["member_count"]), f"{BASE}/{tag_id}/delete", f"{BASE}/{tag_id}")


@post(f"{BASE}/{{tag_id:int}}/delete", guards=GUARD)
async def tag_delete(request: Request, tag_id: int) -> Response:
    try:
        await tags.delete_tag(actor(request), tag_id)
    except tags.NotFound:
        raise NotFoundException() from None
    except Invalid as exc:
        return redirect(request, f"{BASE}/{tag_id}", exc.message, "error")
    return redirect(request, BASE, _("Tag deleted."))


@post(f"{BASE}/{{tag_id:int}}/recompute", guards=GUARD)
async def tag_recompute(request: Request, tag_id: int) -> Response:
    """Recompute a smart tag now: a job; its status page follows progress."""
    tag = await _tag(request, tag_id)
    if tag["kind"] != "smart":
        return redirect(request, f"{BASE}/{tag_id}", _("Only smart tags are recomputed."), "error")
    job_id = await tags.start_recompute(request.scope["user"].id, tag_id)
    target = f"/admin/jobs/{job_id}" if request.scope["user"].can("sup.job.view") else f"{BASE}/{tag_id}"
    return redirect(request, target, _("Recomputing the smart tag has started."))


# --- assign / remove --------------------------------------------------------------------------------

def _id_list(data: dict) -> list[str]:
    ids = data.get("ids") or []
    return ids if isinstance(ids, list) else [ids]


@post(f"{BASE}/bulk", guards=GUARD)
async def tag_bulk_choose(request: Request) -> Response:
    """Step 1 of a bulk action from a result list: choose the tag for the selected records."""
    data = await form_data(request)
    mode = "remove" if request.query_params.get("mode") == "remove" else "add"
    back = safe_next(request.query_params.get("next") or data.get("next"), BASE)
    ids = _id_list(data)
    return await render(request, "records/admin/tag_apply.html", ids=ids, mode=mode, back=back,
                        choices=await tags.choices(actor(request)),
                        error="" if ids else _("Select at least one record."), status=200 if ids else 422)


@post(f"{BASE}/apply", guards=GUARD)
async def tag_bulk_apply(request: Request) -> Response:
    """Step 2: add or remove the chosen tag on the selected records (only those the user can see)."""
    data = await form_data(request)
    mode = "remove" if data.get("mode") == "remove" else "add"
    back = safe_next(data.get("next"), BASE)
    ids = _id_list(data)
    tag = str(data.get("tag") or "")
    try:
        if not tag.isdigit():
            raise Invalid("tag", _("Choose a tag."))
        fn = tags.unassign if mode == "remove" else tags.assign
        n = await fn(actor(request), int(tag), ids)
    except (Invalid, tags.NotFound) as exc:
        message = exc.message if isinstance(exc, Invalid) else _("Choose a tag.")
        return await render(request, "records/admin/tag_apply.html", ids=ids, mode=mode, back=back, status=422,
                            choices=await tags.choices(actor(request)), error=message)
    message = (_("Tag removed from %(n)s records.", n=n) if mode == "remove" else _("Tag added to %(n)s records.", n=n))
    return redirect(request, back, message)


@get("/admin/records/{person_id:int}/tags", guards=GUARD)
async def person_tags(request: Request, person_id: int) -> Response:
    who = actor(request)
    try:
        person = await api.get_person(who, person_id)
    except api.NotFound:
        raise NotFoundException() from None
    return await render(request, "records/admin/person_tags.html", person=person, current=person["tags"],
                        choices=await tags.choices(who))


@post("/admin/records/{person_id:int}/tags", guards=GUARD)
async def person_tag_change(request: Request, person_id: int) -> Response:
    """Add (tag=…) or remove (remove=…) one tag on one record."""
    data = await form_data(request)
    back = f"/admin/records/{person_id}/tags"
    try:
        if str(data.get("remove") or "").isdigit():
            n = await tags.unassign(actor(request), int(data["remove"]), [person_id])
            message = _("Tag removed.") if n else _("The record did not carry this tag.")
        elif str(data.get("tag") or "").isdigit():
            n = await tags.assign(actor(request), int(data["tag"]), [person_id])
            message = _("Tag added.") if n else _("The record already carries this tag.")
        else:
            raise Invalid("tag", _("Choose a tag."))
    except Invalid as exc:
        return redirect(request, back, exc.message, "error")
    except tags.NotFound:
        raise NotFoundException() from None
    return redirect(request, back, message)


ROUTES = [tag_list, tag_new, tag_create, tag_detail, tag_edit, tag_update, tag_delete_confirm, tag_delete,
          tag_recompute, tag_bulk_choose, tag_bulk_apply, person_tags, person_tag_change]

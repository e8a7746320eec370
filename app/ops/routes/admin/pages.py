"""Micro-pages on the desktop (OPS-06, SMS-12): the list (search, paging), a new page, and the block editor. Without
JS the editor is an ordered list of small block forms (Save, Move up, Move down, Delete behind a confirm page) and an
"Add block" form; with JS the same forms post through htmx and the block list is re-rendered in place. Publish /
unpublish, a preview link and "Send the link by SMS" (the SMS console, prefilled)."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.urls import absolute
from app.core.web import actor, confirm_page, form_data, redirect, render, wants_fragment
from app.ops import micropages
from app.ops.routes import service_errors

BASE = "/admin/ops/pages"
GUARD = [requires(micropages.MANAGE)]
PAGE_FIELDS = [
    Field("title", L("Title"), required=True, max_length=200),
    Field("slug", L("Page address"), max_length=80,
          help=L("Lower-case letters, digits and hyphens, shown as /h5/p/address. Left empty, one is made up.")),
    Field("share_title", L("Share card title"), max_length=200, help=L("Shown when the page is shared in WeChat.")),
    Field("share_summary", L("Share card summary"), "textarea", max_length=300),
    Field("cover", L("Share card image"), "file"),
    Field("on_home", L("Show as a button on the alumni home"), "checkbox"),
    Field("home_sort", L("Order on the alumni home"), "int", min_value=0, max_value=9999),
]
KIND_FIELDS = {
    "text": [Field("html", L("Text"), "richtext")],
    "image": [Field("image", L("Image"), "file"),
              Field("alt", L("Image description (alt text)"), max_length=200)],
    "video": [Field("video", L("MP4 video file"), "file"),
              Field("video_url", L("Or the video's https:// address"), max_length=1000)],
    "button": [Field("label", L("Button label"), max_length=60),
               Field("url", L("Button link"), max_length=1000,
                     help=L("An http:// or https:// address, or a site path such as /h5/events."))],
    "form": [Field("survey", L("Survey"), "select")],
}
UPLOADS = ("image", "video")


def _fields(kind: str, prefix: str, surveys: list) -> list[Field]:
    out = []
    for f in KIND_FIELDS[kind]:
        out.append(Field(prefix + f.name, f.label, f.kind, max_length=f.max_length, help=f.help,
                         choices=surveys if f.name == "survey" else None))
    return out


def _initial(block: dict, prefix: str) -> dict:
    data = block["data"]
    values = {"html": data.get("html"), "alt": data.get("alt"), "video_url": data.get("url"),
              "label": data.get("label"), "url": data.get("url"), "survey": data.get("survey")}
    return {prefix + k: v for k, v in values.items() if v is not None}


async def _page(page_id: int) -> dict:
    with service_errors():
        return await micropages.get_page(page_id)


async def _upload(value) -> tuple[str, bytes] | None:
    return (value.filename, await value.read()) if getattr(value, "filename", None) else None


def _values(data: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix) and not hasattr(v, "filename")}


async def _file_of(data: dict, prefix: str) -> tuple[str, bytes] | None:
    for name in UPLOADS:
        found = await _upload(data.get(prefix + name))
        if found:
            return found
    return None


def sms_link(page: dict) -> str:
    """The SMS console with the page's title and absolute link already typed (SMS-12)."""
    text = f"{page['title']} {absolute('/h5/p/' + page['slug'])}"
    return "/admin/sms/send?" + urlencode({"text": text})


async def _editor(request: Request, page: dict, *, errors: dict | None = None, status: int = 200,
                  page_form: Form | None = None) -> Response:
    """The editor; `errors` = {block id or "new": the Form that failed}, re-rendered with what was typed."""
    errors = errors or {}
    surveys = await micropages.survey_choices()
    items = await micropages.blocks(page["id"])
    for block in items:
        prefix = f"b{block['id']}_"
        block["form"] = errors.get(block["id"]) or Form(_fields(block["kind"], prefix, surveys),
                                                        data=_initial(block, prefix))
        block["prefix"] = prefix
    new_form = errors.get("new") or Form(
        [Field("new_kind", L("Kind of block"), "select", choices=list(micropages.KINDS.items()))]
        + [f for kind in KIND_FIELDS for f in _fields(kind, "new_", surveys)], data={"new_kind": "text"})
    page_form = page_form or Form(PAGE_FIELDS, data={k: page[k] for k in (
        "title", "slug", "share_title", "share_summary", "on_home", "home_sort")})
    return await render(request, "ops/admin/page.html", page=page, blocks=items, new_form=new_form,
                        page_form=page_form, kinds=micropages.KINDS, kind_fields=KIND_FIELDS,
                        sms_link=sms_link(page), public_url=absolute(f"/h5/p/{page['slug']}"),
                        block="blocks", status=status)


async def _after_block_write(request: Request, page: dict, message: str, anchor: str = "") -> Response:
    if wants_fragment(request):
        return await _editor(request, page)
    return redirect(request, f"{BASE}/{page['id']}{anchor}", message)


@get(BASE, guards=GUARD)
async def page_list(request: Request) -> Response:
    q = request.query_params.get("q") or ""
    with service_errors():
        found = await micropages.list_pages(actor(request), q, PageRequest.from_query(request.query_params))
    return await render(request, "ops/admin/pages.html", page=found, q=q, form=Form(PAGE_FIELDS, data={
        "home_sort": "50"}), block="results")


@post(BASE, guards=GUARD)
async def page_create(request: Request) -> Response:
    data = await form_data(request)
    form = Form(PAGE_FIELDS, data=data)
    if form.validate():
        try:
            with service_errors():
                page_id = await micropages.create_page(actor(request), form.cleaned, await _upload(data.get("cover")))
            return redirect(request, f"{BASE}/{page_id}", _("Page created: add its blocks."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    found = await micropages.list_pages(actor(request), "", PageRequest())
    return await render(request, "ops/admin/pages.html", page=found, q="", form=form, status=422)


@get(f"{BASE}/{{page_id:int}}", guards=GUARD)
async def page_editor(request: Request, page_id: int) -> Response:
    return await _editor(request, await _page(page_id))


@post(f"{BASE}/{{page_id:int}}", guards=GUARD)
async def page_save(request: Request, page_id: int) -> Response:
    page = await _page(page_id)
    data = await form_data(request)
    form = Form(PAGE_FIELDS, data=data)
    if form.validate():
        try:
            with service_errors():
                await micropages.update_page(actor(request), page_id, form.cleaned, await _upload(data.get("cover")))
            return redirect(request, f"{BASE}/{page_id}", _("Page settings saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _editor(request, page, page_form=form, status=422)


@post([f"{BASE}/{{page_id:int}}/publish", f"{BASE}/{{page_id:int}}/unpublish"], guards=GUARD)
async def page_status(request: Request, page_id: int) -> Response:
    await _page(page_id)
    action = request.url.path.rsplit("/", 1)[-1]
    try:
        with service_errors():
            await micropages.set_status(actor(request), page_id, "published" if action == "publish" else "draft")
    except Conflict as exc:
        return redirect(request, f"{BASE}/{page_id}", str(exc), "error")
    return redirect(request, f"{BASE}/{page_id}",
                    _("Page published.") if action == "publish" else _("Page taken back to a draft."))


@get(f"{BASE}/{{page_id:int}}/delete", guards=GUARD)
async def page_delete_confirm(request: Request, page_id: int) -> Response:
    page = await _page(page_id)
    return await confirm_page(request, _("Delete the page"),
                              _("Delete “%(title)s” and all its blocks? Its link stops working.", title=page["title"]),
                              f"{BASE}/{page_id}/delete", f"{BASE}/{page_id}")


@post(f"{BASE}/{{page_id:int}}/delete", guards=GUARD)
async def page_delete(request: Request, page_id: int) -> Response:
    await _page(page_id)
    with service_errors():
        await micropages.delete_page(actor(request), page_id)
    return redirect(request, BASE, _("Page deleted."))


@post(f"{BASE}/{{page_id:int}}/blocks", guards=GUARD)
async def block_add(request: Request, page_id: int) -> Response:
    page = await _page(page_id)
    data = await form_data(request)
    kind = str(data.get("new_kind") or "")
    try:
        with service_errors():
            block_id = await micropages.add_block(actor(request), page_id, kind, _values(data, "new_"),
                                                  await _file_of(data, "new_"))
        return await _after_block_write(request, page, _("Block added."), f"#block-{block_id}")
    except (Invalid, Conflict) as exc:
        form = Form([Field("new_kind", L("Kind of block"), "select", choices=list(micropages.KINDS.items()))]
                    + [f for k in KIND_FIELDS for f in _fields(k, "new_", await micropages.survey_choices())],
                    data={k: v for k, v in data.items() if not hasattr(v, "filename")})
        form.add_error(f"new_{exc.field}" if isinstance(exc, Invalid) else "",
                       exc.message if isinstance(exc, Invalid) else str(exc))
        return await _editor(request, page, errors={"new": form}, status=422)


async def _block_of(page_id: int, block_id: int) -> tuple[dict, dict]:
    page = await _page(page_id)
    block = next((b for b in await micropages.blocks(page_id) if b["id"] == block_id), None)
    if block is None:
        raise NotFoundException()
    return page, block


@post(f"{BASE}/{{page_id:int}}/blocks/{{block_id:int}}", guards=GUARD)
async def block_save(request: Request, page_id: int, block_id: int) -> Response:
    page, block = await _block_of(page_id, block_id)
    data = await form_data(request)
    prefix = f"b{block_id}_"
    try:
        with service_errors():
            await micropages.update_block(actor(request), page_id, block_id, _values(data, prefix),
                                          await _file_of(data, prefix))
        return await _after_block_write(request, page, _("Block saved."), f"#block-{block_id}")
    except Invalid as exc:
        form = Form(_fields(block["kind"], prefix, await micropages.survey_choices()),
                    data={k: v for k, v in data.items() if not hasattr(v, "filename")})
        form.add_error(prefix + exc.field, exc.message)
        return await _editor(request, page, errors={block_id: form}, status=422)


@post([f"{BASE}/{{page_id:int}}/blocks/{{block_id:int}}/up", f"{BASE}/{{page_id:int}}/blocks/{{block_id:int}}/down"],
      guards=GUARD)
async def block_move(request: Request, page_id: int, block_id: int) -> Response:
    direction = request.url.path.rsplit("/", 1)[-1]
    page, _block = await _block_of(page_id, block_id)
    with service_errors():
        await micropages.move_block(actor(request), page_id, block_id, -1 if direction == "up" else 1)
    return await _after_block_write(request, page, _("Block moved."), f"#block-{block_id}")


@get(f"{BASE}/{{page_id:int}}/blocks/{{block_id:int}}/delete", guards=GUARD)
async def block_delete_confirm(request: Request, page_id: int, block_id: int) -> Response:
    page, block = await _block_of(page_id, block_id)
    return await confirm_page(request, _("Delete the block"),
                              _("Delete this %(kind)s from “%(title)s”?", kind=block["kind_label"],
                                title=page["title"]),
                              f"{BASE}/{page_id}/blocks/{block_id}/delete", f"{BASE}/{page_id}#block-{block_id}")


@post(f"{BASE}/{{page_id:int}}/blocks/{{block_id:int}}/delete", guards=GUARD)
async def block_delete(request: Request, page_id: int, block_id: int) -> Response:
    page, _block = await _block_of(page_id, block_id)
    with service_errors():
        await micropages.delete_block(actor(request), page_id, block_id)
    return await _after_block_write(request, page, _("Block deleted."))


ROUTES = [page_list, page_create, page_editor, page_save, page_delete_confirm, page_delete, page_status, block_add,
          block_save, block_move, block_delete_confirm, block_delete]

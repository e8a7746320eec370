"""Address-book pages (SMS-08): books by kind, contacts with search and groups (tags), add/edit/delete
with confirmation, import through the core import wizard, and the import history by operator and time."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core import sqlfilter
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.web import actor, confirm_page, form_data, redirect, render
from app.sms import contact_import, contacts
from app.support import org_tree

GUARD = [requires("sms.contacts.edit")]
BASE = "/admin/sms/contacts"


async def _books_page(request: Request, data: dict | None = None, errors: dict | None = None,
                      status: int = 200) -> Response:
    kind = sqlfilter.choice(request.query_params, "kind", contacts.KINDS)
    page = await contacts.book_page(actor(request), kind, PageRequest.from_query(request.query_params))
    return await render(request, "sms/admin/contacts.html", page=page, kind=kind,
                        kinds=contacts.KINDS, data=data or {"kind": "personal"}, errors=errors or {}, status=status,
                        orgs=await org_tree.flat(request.scope["user"].scope), import_kind=contact_import.KIND)


@get(BASE, guards=GUARD)
async def book_list(request: Request) -> Response:
    return await _books_page(request)


@post(f"{BASE}/books", guards=GUARD)
async def book_create(request: Request) -> Response:
    data = await form_data(request)
    try:
        book_id = await contacts.create_book(actor(request), data)
    except Invalid as exc:
        return await _books_page(request, data, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/books/{book_id}", _("Address book created."))


async def _book(request: Request, book_id: int) -> dict:
    try:
        return await contacts.get_book(actor(request), book_id)
    except contacts.NotFound:
        raise NotFoundException() from None


async def _book_page(request: Request, book: dict, data: dict | None = None, errors: dict | None = None,
                     status: int = 200) -> Response:
    params = request.query_params
    page = await contacts.list_contacts(actor(request), book["id"], sqlfilter.text(params, "q"),
                                        sqlfilter.text(params, "tag", 32), PageRequest.from_query(params))
    return await render(request, "sms/admin/book.html", book=book, page=page, kinds=contacts.KINDS, data=data or {},
                        errors=errors or {}, status=status, tags=await contacts.book_tags(book["id"]), block="results")


@get(f"{BASE}/books/{{book_id:int}}", guards=GUARD)
async def book_detail(request: Request, book_id: int) -> Response:
    return await _book_page(request, await _book(request, book_id))


@post(f"{BASE}/books/{{book_id:int}}", guards=GUARD)
async def contact_create(request: Request, book_id: int) -> Response:
    book = await _book(request, book_id)
    data = await form_data(request)
    try:
        await contacts.save_contact(actor(request), book_id, data)
    except Invalid as exc:
        return await _book_page(request, book, data, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/books/{book_id}", _("Contact added."))


@get(f"{BASE}/books/{{book_id:int}}/delete", guards=GUARD)
async def book_delete_confirm(request: Request, book_id: int) -> Response:
    book = await _book(request, book_id)
    return await confirm_page(request, _("Delete address book"),
                              _("Delete the address book “%(name)s” and all its contacts?", name=book["name"]),
                              f"{BASE}/books/{book_id}/delete", f"{BASE}/books/{book_id}")


@post(f"{BASE}/books/{{book_id:int}}/delete", guards=GUARD)
async def book_delete(request: Request, book_id: int) -> Response:
    await _book(request, book_id)
    await contacts.delete_book(actor(request), book_id)
    return redirect(request, BASE, _("Address book deleted."))


async def _contact(request: Request, contact_id: int) -> dict:
    try:
        return await contacts.get_contact(actor(request), contact_id)
    except contacts.NotFound:
        raise NotFoundException() from None


@get(f"{BASE}/{{contact_id:int}}/edit", guards=GUARD)
async def contact_edit(request: Request, contact_id: int) -> Response:
    contact = await _contact(request, contact_id)
    return await render(request, "sms/admin/contact_form.html", contact=contact, errors={},
                        data={**contact, "tags": ", ".join(contact["tags"])})


@post(f"{BASE}/{{contact_id:int}}", guards=GUARD)
async def contact_update(request: Request, contact_id: int) -> Response:
    contact = await _contact(request, contact_id)
    data = await form_data(request)
    try:
        await contacts.save_contact(actor(request), contact["book"], data, contact_id)
    except Invalid as exc:
        return await render(request, "sms/admin/contact_form.html", contact=contact, data=data,
                            errors={exc.field or "__all__": exc.message}, status=422)
    return redirect(request, f"{BASE}/books/{contact['book']}", _("Contact saved."))


@get(f"{BASE}/{{contact_id:int}}/delete", guards=GUARD)
async def contact_delete_confirm(request: Request, contact_id: int) -> Response:
    contact = await _contact(request, contact_id)
    return await confirm_page(request, _("Delete contact"), _("Delete %(name)s (%(phone)s) from the address book?",
                              name=contact["name"] or "—", phone=contact["phone"]),
                              f"{BASE}/{contact_id}/delete", f"{BASE}/books/{contact['book']}")


@post(f"{BASE}/{{contact_id:int}}/delete", guards=GUARD)
async def contact_delete(request: Request, contact_id: int) -> Response:
    await _contact(request, contact_id)
    book_id = await contacts.delete_contact(actor(request), contact_id)
    return redirect(request, f"{BASE}/books/{book_id}", _("Contact deleted."))


@get(f"{BASE}/imports", guards=GUARD)
async def import_history(request: Request) -> Response:
    params = request.query_params
    dates, errors = sqlfilter.dates(params, "from", "to")
    page = await contacts.import_history(actor(request), operator=sqlfilter.text(params, "operator"),
                                         date_from=dates["from"], date_to=dates["to"],
                                         req=PageRequest.from_query(params))
    return await render(request, "sms/admin/import_history.html", page=page, errors=errors,
                        import_kind=contact_import.KIND, block="results")


ROUTES = [book_list, book_create, book_detail, contact_create, book_delete_confirm, book_delete, contact_edit,
          contact_update, contact_delete_confirm, contact_delete, import_history]

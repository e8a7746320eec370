"""Address-book import (SMS-08) through the core import engine: each row names its book (a book the
importer can see), so one file can fill several books. The engine keeps the per-row results; the
"import history" page (routes/admin/contacts.py) lists these batches by operator and time."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.import_files import as_list, as_text
from app.core.imports import ImportColumn, ImportContext, ImportSpec, register
from app.sms import checks, contacts

KIND = "sms_contacts"


def _phone(raw, _ctx=None) -> str:
    phone = checks.normalize(str(raw))
    if phone is None:
        raise Invalid("", _("Enter a valid mobile number."))
    return phone


COLUMNS = [
    ImportColumn("book", L("Address book"), required=True, parse=as_text(max_length=100), example="校友会通讯录",
                 help=L("The name of an address book you can see (create it first)."), aliases=("通讯录", "book")),
    ImportColumn("name", L("Name"), parse=as_text(max_length=64), example="张三", aliases=("姓名", "name")),
    ImportColumn("phone", L("Mobile number"), required=True, parse=_phone, example="13800138000",
                 aliases=("手机", "手机号", "phone", "mobile")),
    ImportColumn("company", L("Company"), parse=as_text(max_length=200), example="同窗科技", aliases=("单位", "公司")),
    ImportColumn("tags", L("Groups"), parse=as_list, example="理事,北京",
                 help=L("Comma separated group names."), aliases=("分组", "标签", "tags")),
    ImportColumn("note", L("Note"), parse=as_text(max_length=300), aliases=("备注",)),
]


async def _prepare(chunk: list[dict], ctx: ImportContext) -> None:
    if "books" not in ctx.cache:
        ctx.cache["books"] = {b["name"]: b["id"] for b in await contacts.books(ctx.actor)}


async def _validate(values: dict, ctx: ImportContext) -> dict | None:
    book = ctx.cache["books"].get(values.get("book") or "")
    if book is None:
        return {"book": _("No address book named “%(name)s” that you can see.", name=values.get("book"))}
    values["book_id"] = book
    return None


async def _create(actor: Actor, values: dict) -> str:
    book_id = values.get("book_id") or (await contacts.get_book_by_name(actor, values["book"]))
    contact_id = await db.fetchval(
        "INSERT INTO sms_contact (book, name, phone, company, tags, note, created_by, updated_by)"
        " VALUES ($1, $2, $3, $4, $5::varchar[], $6, $7, $7) RETURNING id", book_id, values.get("name") or "",
        values["phone"], values.get("company") or "", contacts.parse_tags(values.get("tags") or []),
        values.get("note") or "", actor.id)
    await audit.record(actor, "sms.contact.import", "sms_contact", contact_id, after={"phone": values["phone"]})
    return str(contact_id)


async def _rollback(actor: Actor, entity_id: str) -> None:
    await db.execute("DELETE FROM sms_contact WHERE id = $1", int(entity_id))


SPEC = register(ImportSpec(
    kind=KIND, title=L("SMS address book contacts"), permission="sms.contacts.edit", columns=COLUMNS,
    create=_create, rollback=_rollback, validate_row=_validate, prepare=_prepare,
    instructions=(L("One contact per row; the address book column names an existing book."),)))

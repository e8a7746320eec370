"""Address books (SMS-08): organisation books shared down the org tree, personal books seen by their owner
only, customer books (shared like organisation books). Contacts carry tags: a tag inside a book is a
"group" the console can send to. Visibility is one SQL fragment used by every query here."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.sqlfilter import Where
from app.sms import checks

KINDS = {"org": L("Organisation book"), "personal": L("Personal book"), "customer": L("Customer book")}
MAX_GROUP_NUMBERS = 10_000


class NotFound(Exception):
    """No such book / contact visible to the actor."""


def visible_sql(actor: Actor, args: list, alias: str = "b") -> str:
    """Personal books: the owner only. Org/customer books: users whose data scope covers the book's org,
    and users whose own org lies under it (shared with every department below)."""
    args.append(actor.id)
    me = f"${len(args)}"
    scoped = actor.scope.sql(f"{alias}.org", None, args)
    return (f"(({alias}.kind = 'personal' AND {alias}.owner = {me}) OR ({alias}.kind <> 'personal' AND ({scoped}"
            f" OR EXISTS (SELECT 1 FROM app_user u JOIN org_node uo ON uo.id = u.org"
            f" JOIN org_node bo ON bo.id = {alias}.org WHERE u.id = {me} AND uo.path LIKE bo.path || '%'))))")


def _books_where(actor: Actor, kind: str, args: list) -> str:
    where = visible_sql(actor, args)
    if kind in KINDS:
        args.append(kind)
        where += f" AND b.kind = ${len(args)}"
    return where


async def books(actor: Actor, kind: str = "") -> list[dict]:
    """Every book the actor sees (id, name, kind): for lookups such as the import's book column."""
    args: list = []
    return await db.fetch(f"SELECT b.id, b.name, b.kind FROM sms_contact_book b WHERE {_books_where(actor, kind, args)}"
                          f" ORDER BY b.kind, b.name, b.id", *args)


async def book_page(actor: Actor, kind: str, req: PageRequest) -> Page:
    """One page of the books list, with their contact counts (counted for this page only)."""
    args: list = []
    where = _books_where(actor, kind, args)
    total = await db.fetchval(f"SELECT count(*) FROM sms_contact_book b WHERE {where}", *args)
    items = await db.fetch(
        f"SELECT b.*, o.name AS org_name, (SELECT count(*) FROM sms_contact c WHERE c.book = b.id) AS contact_count"
        f" FROM sms_contact_book b LEFT JOIN org_node o ON o.id = b.org WHERE {where} ORDER BY b.kind, b.name, b.id"
        f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(items, total, req.page, req.per_page, req.sort)


async def get_book(actor: Actor, book_id: int | None) -> dict:
    args: list = [book_id]
    row = await db.fetchrow(f"SELECT b.*, o.name AS org_name FROM sms_contact_book b"
                            f" LEFT JOIN org_node o ON o.id = b.org WHERE b.id = $1 AND {visible_sql(actor, args)}",
                            *args)
    if row is None:
        raise NotFound(book_id)
    return row


async def user_org(actor: Actor) -> int | None:
    return await db.fetchval("SELECT org FROM app_user WHERE id = $1", actor.id) if actor.id else None


async def create_book(actor: Actor, data: dict) -> int:
    name = str(data.get("name") or "").strip()
    kind = data.get("kind") if data.get("kind") in KINDS else ""
    if not name:
        raise Invalid("name", _("Enter a name."))
    if not kind:
        raise Invalid("kind", _("Choose from the list."))
    org = None
    if kind != "personal":
        raw = str(data.get("org") or "").strip()
        org = int(raw) if raw.isdigit() else await user_org(actor)
        path = await db.fetchval("SELECT path FROM org_node WHERE id = $1", org) if org else None
        if not path or not actor.scope.allows(path):
            raise Invalid("org", _("Choose an org inside your data scope."))
    async with db.transaction():
        book_id = await db.fetchval(
            "INSERT INTO sms_contact_book (kind, org, owner, name, created_by, updated_by)"
            " VALUES ($1, $2, $3::int, $4, $3::bigint, $3::bigint) RETURNING id", kind, org, actor.id, name[:100])
        await audit.record(actor, "sms.book.create", "sms_contact_book", book_id, after={"name": name, "kind": kind},
                           org_id=org)
    return book_id


async def delete_book(actor: Actor, book_id: int) -> None:
    book = await get_book(actor, book_id)
    async with db.transaction():
        await db.execute("DELETE FROM sms_contact_book WHERE id = $1", book_id)
        await audit.record(actor, "sms.book.delete", "sms_contact_book", book_id, before={"name": book["name"]},
                           org_id=book["org"])


async def list_contacts(actor: Actor, book_id: int, q: str, tag: str, req: PageRequest) -> Page:
    await get_book(actor, book_id)
    where = Where(None, "c.book = $1")
    where.args.append(book_id)
    where.contains(["c.name", "c.phone", "c.company", "c.note"], q)
    if tag:
        where.add(f"{where.param(tag)} = ANY(c.tags)")
    total = await db.fetchval(f"SELECT count(*) FROM sms_contact c WHERE {where.sql()}", *where.args)
    order = req.order_by({"name": "c.name", "phone": "c.phone", "company": "c.company"}, "c.name, c.id")
    rows = await db.fetch(f"SELECT c.* FROM sms_contact c WHERE {where.sql()} {order.replace(', id', ', c.id')}"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *where.args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def book_tags(book_id: int) -> list[str]:
    rows = await db.fetch("SELECT DISTINCT unnest(tags) AS t FROM sms_contact WHERE book = $1 ORDER BY 1", book_id)
    return [r["t"] for r in rows]


def parse_tags(raw) -> list[str]:
    items = raw if isinstance(raw, list) else str(raw or "").replace("，", ",").replace("、", ",").split(",")
    return list(dict.fromkeys(t.strip()[:32] for t in items if t and t.strip()))


def clean_contact(data: dict) -> dict:
    phone = str(data.get("phone") or "").strip()
    if not phone:
        raise Invalid("phone", _("This field is required."))
    normal = checks.normalize(phone)
    if normal is None:
        raise Invalid("phone", _("Enter a valid mobile number."))
    return {"name": str(data.get("name") or "").strip()[:64], "phone": normal,
            "company": str(data.get("company") or "").strip()[:200], "tags": parse_tags(data.get("tags")),
            "note": str(data.get("note") or "").strip()[:300]}


async def get_contact(actor: Actor, contact_id: int) -> dict:
    args: list = [contact_id]
    row = await db.fetchrow(f"SELECT c.* FROM sms_contact c JOIN sms_contact_book b ON b.id = c.book"
                            f" WHERE c.id = $1 AND {visible_sql(actor, args)}", *args)
    if row is None:
        raise NotFound(contact_id)
    return row


async def save_contact(actor: Actor, book_id: int, data: dict, contact_id: int | None = None) -> int:
    book = await get_book(actor, book_id)
    values = clean_contact(data)
    async with db.transaction():
        if contact_id is None:
            contact_id = await db.fetchval(
                "INSERT INTO sms_contact (book, name, phone, company, tags, note, created_by, updated_by)"
                " VALUES ($1, $2, $3, $4, $5::varchar[], $6, $7, $7) RETURNING id", book_id, values["name"],
                values["phone"], values["company"], values["tags"], values["note"], actor.id)
            action = "sms.contact.create"
        else:
            done = await db.fetchval(
                "UPDATE sms_contact SET name = $3, phone = $4, company = $5, tags = $6::varchar[], note = $7,"
                " updated_by = $8, updated_at = now() WHERE id = $1 AND book = $2 RETURNING id", contact_id, book_id,
                values["name"], values["phone"], values["company"], values["tags"], values["note"], actor.id)
            if not done:
                raise NotFound(contact_id)
            action = "sms.contact.update"
        await audit.record(actor, action, "sms_contact", contact_id, after=values, org_id=book["org"])
    return contact_id


async def delete_contact(actor: Actor, contact_id: int) -> int:
    contact = await get_contact(actor, contact_id)
    async with db.transaction():
        await db.execute("DELETE FROM sms_contact WHERE id = $1", contact_id)
        await audit.record(actor, "sms.contact.delete", "sms_contact", contact_id, before=contact)
    return contact["book"]


# --- groups for the console: a whole book, or one tag inside a book -----------------------------------

async def group_choices(actor: Actor) -> list[tuple[str, str]]:
    """("b12", "Book (n)") and ("t12:tag", "Book › tag (n)") for every visible book."""
    args: list = []
    rows = await db.fetch(
        f"SELECT b.id, b.name, NULL AS tag, count(c.id) AS n FROM sms_contact_book b"
        f" LEFT JOIN sms_contact c ON c.book = b.id WHERE {visible_sql(actor, args)} GROUP BY b.id"
        f" UNION ALL SELECT b.id, b.name, t.tag, count(*) FROM sms_contact_book b JOIN sms_contact c ON c.book = b.id"
        f" CROSS JOIN LATERAL unnest(c.tags) AS t(tag) WHERE {visible_sql(actor, args)} GROUP BY b.id, b.name, t.tag"
        f" ORDER BY 2, 1, 3 NULLS FIRST", *args)
    return [(f"b{r['id']}" if r["tag"] is None else f"t{r['id']}:{r['tag']}",
             f"{r['name']} ({r['n']})" if r["tag"] is None else f"{r['name']} › {r['tag']} ({r['n']})") for r in rows]


async def group_phones(actor: Actor, keys: list[str]) -> list[str]:
    """The numbers of the chosen groups (visible books only), at most MAX_GROUP_NUMBERS."""
    whole, tagged = [], []
    for key in keys:
        if key.startswith("b") and key[1:].isdigit():
            whole.append(int(key[1:]))
        elif key.startswith("t") and ":" in key and key[1:].split(":", 1)[0].isdigit():
            book, tag = key[1:].split(":", 1)
            tagged.append(f"{book}:{tag}")
    if not whole and not tagged:
        return []
    args: list = [whole, tagged]
    rows = await db.fetch(
        f"SELECT DISTINCT c.phone FROM sms_contact c JOIN sms_contact_book b ON b.id = c.book"
        f" WHERE (c.book = ANY($1::bigint[])"
        f" OR EXISTS (SELECT 1 FROM unnest(c.tags) t WHERE c.book || ':' || t = ANY($2::text[])))"
        f" AND {visible_sql(actor, args)} LIMIT {MAX_GROUP_NUMBERS}", *args)
    return [r["phone"] for r in rows]


async def get_book_by_name(actor: Actor, name: str) -> int:
    for book in await books(actor):
        if book["name"] == name:
            return book["id"]
    raise Invalid("book", _("No address book named “%(name)s” that you can see.", name=name))


async def import_history(actor: Actor, *, operator: str, date_from, date_to, req: PageRequest) -> Page:
    """Contact import batches, searchable by operator and time; others' batches only with the whole scope."""
    where = Where(None, "b.kind = 'sms_contacts'")
    if not (actor.is_superuser or actor.scope.all):
        where.equals("b.created_by", actor.id)
    where.contains(["u.username", "u.name"], operator).date_range("b.created_at", date_from, date_to)
    base = f"FROM import_batch b LEFT JOIN app_user u ON u.id = b.created_by WHERE {where.sql()}"
    total = await db.fetchval(f"SELECT count(*) {base}", *where.args)
    rows = await db.fetch(f"SELECT b.id, b.filename, b.status, b.total, b.created_at, u.username, u.name AS user_name,"
                          f" (SELECT count(*) FROM import_row r WHERE r.batch = b.id AND r.status = 'imported')"
                          f" AS imported,"
                          f" (SELECT count(*) FROM import_row r WHERE r.batch = b.id AND r.status = 'error') AS failed"
                          f" {base} ORDER BY b.id DESC LIMIT {req.per_page} OFFSET {req.offset}", *where.args)
    return Page(rows, total, req.page, req.per_page, req.sort)

"""How the audit log (SUP-14) shows entries about address books and their contacts: names and numbers
masked (SUP-16), and only entries about books the viewer may open (contacts.visible_sql)."""
from __future__ import annotations

from app.core import audit
from app.core.audit import ENTITY_ID, Actor
from app.core.masking import shown_fields
from app.sms import contacts

CONTACT_MASK = {"name": "name", "phone": "phone"}


def mask_contact(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        shown_fields(viewer, data, CONTACT_MASK)


def _book_visible(viewer: Actor, args: list, book_id_sql: str) -> str:
    return (f"EXISTS (SELECT 1 FROM sms_contact_book b WHERE b.id = {book_id_sql}"
            f" AND {contacts.visible_sql(viewer, args)})")


def contact_visible(viewer: Actor, args: list) -> str:
    # A deleted contact is found through the book its delete entry recorded (the whole row). Earlier entries
    # of it carry the book's org (already checked by the log's scope) unless the book was personal: hidden.
    book = (f"COALESCE((SELECT c.book FROM sms_contact c WHERE c.id = {ENTITY_ID}),"
            f" CASE WHEN a.before->>'book' ~ '^[0-9]{{1,18}}$' THEN (a.before->>'book')::bigint END)")
    return f"({_book_visible(viewer, args, book)} OR ({book} IS NULL AND a.org_id IS NOT NULL))"


def book_visible(viewer: Actor, args: list) -> str:
    # A deleted book's entries hold only its name: the entry's own org scope decides.
    return (f"({_book_visible(viewer, args, ENTITY_ID)}"
            f" OR NOT EXISTS (SELECT 1 FROM sms_contact_book b WHERE b.id = {ENTITY_ID}))")


audit.register_view("sms_contact", mask=mask_contact, visible=contact_visible)
audit.register_view("sms_contact_book", visible=book_visible)

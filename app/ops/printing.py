"""Event printables (OPS-02): name badges (A4, 2 × 4 per sheet, 90 × 60 mm: name, the owner's line, ticket type,
seat, and the ticket's QR so a badge checks in at the door like the e-ticket) and the desk's sign-in sheet (A4
portrait: no., name, masked phone, ticket, seat, a box to sign). Both cover the registrations holding a place;
one WeasyPrint render per document."""
from __future__ import annotations

from app.core import audit, db, masking, pdf, settings_store
from app.core.audit import Actor
from app.core.qrcodes import qr_img
from app.ops import events, registrations, seating

HOLDING = seating.HOLDING
MAX_ROWS = 5000


async def _holders(event_id: int) -> list[dict]:
    return await db.fetch(
        "SELECT r.id, r.code, r.name, r.phone, r.seat, r.status, t.name AS ticket_name FROM ops_registration r"
        " JOIN ops_ticket_type t ON t.id = r.ticket_type WHERE r.event = $1 AND r.status = ANY($2::varchar[])"
        f" ORDER BY NULLIF(r.seat, '') IS NULL, length(r.seat), r.seat, r.id LIMIT {MAX_ROWS}",
        event_id, list(HOLDING))


async def badges_pdf(actor: Actor, event_id: int) -> bytes:
    event = await events.managed_event(actor, event_id)
    people = await _holders(event_id)
    for person in people:
        person["seat_label"] = seating.label(person["seat"])
        person["qr"] = qr_img(registrations.ticket_token(person))
    await audit.record(actor, "print_badges", "ops_event", event_id, after={"badges": len(people)},
                       summary=event["title"])
    return await pdf.render_pdf_async("ops/badges.html", event=event, people=people,
                                      site_name=await settings_store.get("site.name"))


async def signin_sheet_pdf(actor: Actor, event_id: int) -> bytes:
    event = await events.managed_event(actor, event_id)
    people = await _holders(event_id)
    for person in people:
        person["seat_label"] = seating.label(person["seat"])
        person["phone"] = masking.shown(actor, "phone", person["phone"])
    await audit.record(actor, "print_signin", "ops_event", event_id, after={"rows": len(people)},
                       summary=event["title"])
    return await pdf.render_pdf_async("ops/signin_sheet.html", event=event, people=people)

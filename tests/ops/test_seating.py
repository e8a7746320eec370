"""Seats and tables (OPS-02): allocation seats everyone holding a place once, keeps seats already given, keeps
people with the same answer at one table when they fit, and never gives a seat twice; a seat by hand refuses a
taken seat, a malformed one and an unknown code; name badges and the sign-in sheet print as PDFs with Chinese
text (not boxes) and the ticket's QR."""
import subprocess
from collections import Counter, defaultdict

import pytest

from app.core.audit import SYSTEM
from app.core.forms import Invalid
from app.ops import custom_forms, events, printing, registrations, seating
from tests.helpers import csrf_from, dark_pixels, first_page_gray
from tests.ops.factories import make_event, make_user


async def _event_with_classes(db, seating_mode: str, classes: list[str], table_size: int = 4) -> tuple[int, dict]:
    event_id, ticket_id = await make_event("校友年会", quota=100, seating=seating_mode, table_size=table_size)
    form_id = (await events.get_event(event_id))["form"]
    await custom_forms.add_question(SYSTEM, form_id, {"key": "cls", "label": "班级", "kind": "text"})
    by_reg = {}
    for i, cls in enumerate(classes):
        person = await make_user(db, f"校友{i}")
        done = await registrations.signup(person, event_id, ticket_id, {"q_cls": cls})
        by_reg[done.registration_id] = cls
    return event_id, by_reg


async def _seats(db, event_id: int) -> dict[int, str]:
    rows = await db.fetch("SELECT id, seat FROM ops_registration WHERE event = $1", event_id)
    return {r["id"]: r["seat"] for r in rows}


@pytest.mark.req("OPS-02")
async def test_tables_keep_classmates_together(db):
    classes = ["计算机2001"] * 3 + ["机械2002"] * 5 + ["化学2003"] * 2 + ["物理2004"]
    event_id, by_reg = await _event_with_classes(db, "table", classes)
    assert await seating.allocate(SYSTEM, event_id, "q_cls") == len(classes)
    seats = await _seats(db, event_id)
    assert all(seats.values()) and len(set(seats.values())) == len(classes)  # everyone, no seat twice
    tables_of = defaultdict(set)
    for reg_id, seat in seats.items():
        table, number = seat.split("-")
        assert 1 <= int(number) <= 4
        tables_of[by_reg[reg_id]].add(table)
    assert len(tables_of["计算机2001"]) == 1 and len(tables_of["化学2003"]) == 1  # groups that fit are not split
    assert len(tables_of["机械2002"]) == 2  # five people at tables of four
    assert max(Counter(s.split("-")[0] for s in seats.values()).values()) <= 4

    # someone new arrives: the others keep their seats
    late = await make_user(db, "迟到者")
    ticket_id = (await db.fetchval("SELECT id FROM ops_ticket_type WHERE event = $1", event_id))
    extra = await registrations.signup(late, event_id, ticket_id, {"q_cls": "计算机2001"})
    assert await seating.allocate(SYSTEM, event_id, "q_cls") == 1
    after = await _seats(db, event_id)
    assert {k: v for k, v in after.items() if k != extra.registration_id} == seats
    assert after[extra.registration_id] not in seats.values()
    assert seating.label(after[extra.registration_id]).startswith("Table ")


@pytest.mark.req("OPS-02")
async def test_numbered_seats_and_seats_by_hand(db):
    event_id, by_reg = await _event_with_classes(db, "seat", ["甲", "乙", "丙"])
    first = min(by_reg)
    await seating.assign(SYSTEM, event_id, await db.fetchval("SELECT code FROM ops_registration WHERE id = $1", first),
                         "2")
    assert await seating.allocate(SYSTEM, event_id) == 2
    seats = await _seats(db, event_id)
    assert sorted(seats.values(), key=int) == ["1", "2", "3"] and seats[first] == "2"

    code = await db.fetchval("SELECT code FROM ops_registration WHERE id = $1", max(by_reg))
    for bad_code, seat, field in ((code, "2", "seat"), (code, "3-1", "seat"), (code, "0", "seat"),
                                  ("NOSUCHCODE", "9", "code")):
        with pytest.raises(Invalid) as exc:
            await seating.assign(SYSTEM, event_id, bad_code, seat)
        assert exc.value.field == field
    await seating.assign(SYSTEM, event_id, code.lower(), "")  # taken away (codes are typed in any case)
    assert (await _seats(db, event_id))[max(by_reg)] == ""


@pytest.mark.req("OPS-02")
async def test_badges_and_signin_sheet_print(db, tmp_path):
    event_id, by_reg = await _event_with_classes(db, "table", ["计算机2001"] * 5, table_size=10)
    await seating.allocate(SYSTEM, event_id)
    badges = await printing.badges_pdf(SYSTEM, event_id)
    sheet = await printing.signin_sheet_pdf(SYSTEM, event_id)
    for data in (badges, sheet):
        assert data.startswith(b"%PDF-") and dark_pixels(first_page_gray(data, tmp_path)) > 2000
        source = tmp_path / "t.pdf"
        source.write_bytes(data)
        text = subprocess.run(["pdftotext", str(source), "-"], check=True, capture_output=True, text=True).stdout
        assert "校友0" in text and "校友4" in text and "校友年会" in text
        fonts = subprocess.run(["pdffonts", str(source)], check=True, capture_output=True, text=True).stdout
        assert "CJK" in fonts  # the Chinese font, not boxes
        for old in tmp_path.glob("page*.png"):
            old.unlink()
    assert "Table 1, seat 1" in text or "第1桌" in text


@pytest.mark.req("OPS-02")
async def test_seating_pages(as_user, db):
    event_id, by_reg = await _event_with_classes(db, "table", ["甲", "甲", "乙"])
    admin = await as_user("admin")
    page = await admin.get(f"/admin/ops/events/{event_id}/seating")
    assert page.status_code == 200 and "3 people hold a place; 3 have no seat yet." in page.text
    token = csrf_from(page.text)
    bad = await admin.post(f"/admin/ops/events/{event_id}/seating/allocate", data={"_csrf_token": token,
                                                                                   "group_by": "q_nope"})
    assert bad.status_code == 422 and "Choose from the list." in bad.text
    done = await admin.post(f"/admin/ops/events/{event_id}/seating/allocate", data={"_csrf_token": token,
                                                                                    "group_by": "q_cls"})
    assert done.status_code == 303
    assert "Table 1" in (await admin.get(f"/admin/ops/events/{event_id}/seating")).text
    code = await db.fetchval("SELECT code FROM ops_registration WHERE id = $1", min(by_reg))
    taken = await db.fetchval("SELECT seat FROM ops_registration WHERE id = $1", max(by_reg))
    clash = await admin.post(f"/admin/ops/events/{event_id}/seating/assign", data={"_csrf_token": token,
                                                                                  "code": code, "seat": taken})
    assert clash.status_code == 422 and "is already" in clash.text and f'value="{code}"' in clash.text
    pdf = await admin.get(f"/admin/ops/events/{event_id}/badges.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (await admin.get(f"/admin/ops/events/{event_id}/signin-sheet.pdf")).content.startswith(b"%PDF-")
    confirm = await admin.get(f"/admin/ops/events/{event_id}/seating/clear")
    assert confirm.status_code == 200
    await admin.post(f"/admin/ops/events/{event_id}/seating/clear", data={"_csrf_token": token})
    assert not any((await _seats(db, event_id)).values())
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action IN ('allocate_seats', 'clear_seats',"
                             " 'print_badges') AND entity_id = $1", str(event_id)) == 3

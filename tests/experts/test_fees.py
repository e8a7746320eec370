"""Fees with an e-signature and encrypted bank details (EXP-09): the office enters the fee of an accepted
invitation, the expert signs it on the phone (a PNG drawing, or the typed full name without JS); a wrong name, a
blank canvas or a fake PNG are refused; the bank account number never lies in the database in clear and shows
masked."""
import base64
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag
from PIL import Image, ImageDraw

from app.core.audit import SYSTEM, Actor
from app.core.forms import Conflict, Invalid
from app.core.permissions import PermissionDenied
from app.experts import bank, experts, fees, invitations, signatures
from app.support import users
from tests.helpers import csrf_from, login

PASSWORD = "Demo2026pass!x"
ACCOUNT = "6222020200112233445"


def png_url(draw: bool = True, size=(600, 240)) -> str:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if draw:
        pen = ImageDraw.Draw(image)
        pen.line([(40, 180), (160, 60), (260, 170), (400, 70), (540, 160)], fill=(17, 17, 17, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return signatures.PREFIX + base64.b64encode(out.getvalue()).decode()


async def accepted_invitation(n: int, name: str = "费用专家") -> tuple[int, int, str]:
    username = f"exp_fee{n}"
    user_id = await users.create_user(SYSTEM, username=username, name=name, password=PASSWORD)
    expert_id = await experts.create(SYSTEM, {"name": name, "phone": f"1776200000{n}"}, user_id=user_id)
    inv = await invitations.invite(SYSTEM, expert_id, f"reviews:{n}", "费用项目",
                                   datetime.now(UTC) + timedelta(days=1))
    await invitations.respond(SYSTEM, inv, "accept", expert_id=expert_id)
    return expert_id, inv, username


@pytest.mark.req("EXP-09")
async def test_office_enters_the_fee_and_the_expert_signs_a_drawing(client, db, as_user):
    expert_id, inv, username = await accepted_invitation(1)
    admin = await as_user("admin")
    page = await admin.get(f"/admin/experts/invitations/{inv}")
    bad = await admin.post(f"/admin/experts/invitations/{inv}/fee", data={
        "_csrf_token": csrf_from(page.text), "workload": "评审 12 份", "amount": "-5"})
    assert bad.status_code == 422
    ok = await admin.post(f"/admin/experts/invitations/{inv}/fee", data={
        "_csrf_token": csrf_from(page.text), "workload": "评审 12 份", "amount": "800.50"})
    assert ok.status_code == 303
    assert await db.fetchval("SELECT amount_cents FROM exp_fee WHERE invitation = $1", inv) == 80050

    await login(client, username, PASSWORD)
    fee_page = await client.get(f"/h5/expert/invitations/{inv}/fee")
    assert fee_page.status_code == 200 and "¥800.50" in fee_page.text and "<canvas" in fee_page.text
    assert "signature-pad.js" in fee_page.text and "<script>" not in fee_page.text
    signed = await client.post(f"/h5/expert/invitations/{inv}/fee", data={
        "_csrf_token": csrf_from(fee_page.text), "signature": png_url(), "signed_name": ""})
    assert signed.status_code == 303
    row = await db.fetchrow("SELECT * FROM exp_fee WHERE invitation = $1", inv)
    assert row["status"] == "confirmed" and row["signed_at"] and row["signed_ip"] == "127.0.0.1"
    png = signatures.load(row["signature_key"])
    assert png.startswith(b"\x89PNG")
    assert (await client.get(f"/h5/expert/invitations/{inv}/fee/signature.png")).content == png
    entry = await db.fetchrow("SELECT ip, after FROM audit_log WHERE action = 'fee_confirm' AND entity_id = $1",
                              str(inv))
    assert entry and "drawn" in str(entry["after"])
    with pytest.raises(Conflict):
        await fees.set_fee(SYSTEM, inv, "改", "1")
    again = await client.post(f"/h5/expert/invitations/{inv}/fee", data={
        "_csrf_token": csrf_from(fee_page.text), "signature": png_url()})
    assert again.status_code == 409
    admin = await as_user("admin")  # the same browser, logged in as the office again
    admin_view = await admin.get(f"/admin/experts/invitations/{inv}")
    assert "signature.png" in admin_view.text and "¥800.50" in admin_view.text
    assert (await admin.get(f"/admin/experts/invitations/{inv}/signature.png")).content == png
    letter = await admin.get(f"/admin/experts/invitations/{inv}/fee.pdf")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")


@pytest.mark.req("EXP-09")
async def test_typed_name_is_the_signature_without_js(client, db):
    _expert_id, inv, username = await accepted_invitation(2, "李 明")
    await fees.set_fee(SYSTEM, inv, "现场评审", "500")
    await login(client, username, PASSWORD)
    token = csrf_from((await client.get(f"/h5/expert/invitations/{inv}/fee")).text)
    wrong = await client.post(f"/h5/expert/invitations/{inv}/fee", data={"_csrf_token": token, "signed_name": "李四"})
    assert wrong.status_code == 422 and "does not match your name" in wrong.text
    empty = await client.post(f"/h5/expert/invitations/{inv}/fee", data={"_csrf_token": token, "signed_name": ""})
    assert empty.status_code == 422 and "type your full name" in empty.text
    assert await db.fetchval("SELECT status FROM exp_fee WHERE invitation = $1", inv) == "pending"
    ok = await client.post(f"/h5/expert/invitations/{inv}/fee", data={"_csrf_token": token, "signed_name": "李明"})
    assert ok.status_code == 303
    row = await db.fetchrow("SELECT status, signed_name, signature_key FROM exp_fee WHERE invitation = $1", inv)
    assert (row["status"], row["signed_name"], row["signature_key"]) == ("confirmed", "李明", "")
    confirmed = await client.get(f"/h5/expert/invitations/{inv}/fee")
    assert "Signed at" in confirmed.text and "<canvas" not in confirmed.text


@pytest.mark.req("EXP-09")
async def test_blank_or_fake_drawings_are_refused(client, db):
    _expert_id, inv, username = await accepted_invitation(3)
    await fees.set_fee(SYSTEM, inv, "书面评审", "300")
    await login(client, username, PASSWORD)
    token = csrf_from((await client.get(f"/h5/expert/invitations/{inv}/fee")).text)
    blank = await client.post(f"/h5/expert/invitations/{inv}/fee", data={"_csrf_token": token,
                                                                         "signature": png_url(draw=False)})
    assert blank.status_code == 422 and "signature box is empty" in blank.text
    jpeg = io.BytesIO()
    Image.new("RGB", (300, 100), "white").save(jpeg, "JPEG")
    fake = signatures.PREFIX + base64.b64encode(jpeg.getvalue()).decode()
    for bad in (fake, signatures.PREFIX + "not base64!", "data:text/html;base64,PGI+"):
        refused = await client.post(f"/h5/expert/invitations/{inv}/fee", data={"_csrf_token": token,
                                                                               "signature": bad})
        assert refused.status_code == 422 and "not a PNG drawing" in refused.text
    with pytest.raises(Invalid):
        signatures.parse({"signature": png_url(size=(20, 20))}, expected_name="x")
    assert await db.fetchval("SELECT status FROM exp_fee WHERE invitation = $1", inv) == "pending"


@pytest.mark.req("EXP-09")
async def test_fee_only_for_accepted_invitations_and_own_fee_only(client, db):
    expert_id, inv, _username = await accepted_invitation(4)
    _other, _other_inv, other_user = await accepted_invitation(5, "别人")
    pending = await invitations.invite(SYSTEM, expert_id, "reviews:99", "未答复", datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(Conflict):
        await fees.set_fee(SYSTEM, pending, "x", "100")
    await fees.set_fee(SYSTEM, inv, "x", "100")
    await login(client, other_user, PASSWORD)
    assert (await client.get(f"/h5/expert/invitations/{inv}/fee")).status_code == 404


@pytest.mark.req("EXP-09")
async def test_bank_number_encrypted_at_rest_and_masked(client, db):
    expert_id, _inv, username = await accepted_invitation(6)
    await login(client, username, PASSWORD)
    page = await client.get("/h5/expert/bank")
    token = csrf_from(page.text)
    short = await client.post("/h5/expert/bank", data={"_csrf_token": token, "holder": "费用专家", "bank": "工商银行",
                                                       "account": "12345"})
    assert short.status_code == 422 and "12 to 30 digits" in short.text
    ok = await client.post("/h5/expert/bank", data={"_csrf_token": token, "holder": "费用专家", "bank": "工商银行",
                                                    "branch": "海淀支行", "account": "6222 0202 0011 2233 445"})
    assert ok.status_code == 303
    raw = await db.fetchval("SELECT string_agg(t::text, '|') FROM exp_bank_account t")
    assert raw and ACCOUNT not in raw and "3445" in raw  # last four only
    logged = await db.fetchval("SELECT string_agg(t::text, '|') FROM audit_log t")
    assert ACCOUNT not in logged
    shown = await client.get("/h5/expert/bank")
    assert "**** 3445" in shown.text and ACCOUNT not in shown.text
    office = Actor(1, "finance", perms=frozenset({"exp.invite.manage"}))
    assert await bank.account_number(office, expert_id) == ACCOUNT
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'reveal_bank_account'") == 1
    with pytest.raises(PermissionDenied):
        await bank.account_number(Actor(2, "nobody"), expert_id)
    # a ciphertext moved to another expert's row does not open (bound to the expert id)
    with pytest.raises(InvalidTag):
        bank.decrypt(expert_id + 1, await db.fetchval("SELECT account_enc FROM exp_bank_account"), 1)

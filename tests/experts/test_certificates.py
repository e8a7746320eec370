"""E-certificates (EXP-08): a real PDF with the name; the QR's link opens a public page with name, number and
validity only; a forged link is refused."""

import pytest

from app.core.audit import SYSTEM
from app.experts import certificates, experts
from app.support import users
from tests.helpers import dark_pixels, first_page_gray, login


@pytest.mark.req("EXP-08")
async def test_own_certificate_pdf_and_public_verification_page(client, db, tmp_path):
    user_id = await users.create_user(SYSTEM, username="exp_cert", name="证书", password="Demo2026pass!x")
    expert_id = await experts.create(SYSTEM, {"name": "证书专家", "phone": "17750000001", "employer": "秘密单位",
                                              "email": "secret@example.test"}, user_id=user_id)
    expert = await experts.get(expert_id)
    assert (await login(client, "exp_cert", "Demo2026pass!x")).status_code == 303
    response = await client.get("/h5/expert/certificate.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and dark_pixels(first_page_gray(response.content, tmp_path)) > 500

    client.cookies.clear()  # anyone who scans the QR
    page = await client.get(certificates.verify_path(expert["number"]))
    assert page.status_code == 200
    assert "证书专家" in page.text and expert["number"] in page.text and "genuine and valid" in page.text
    assert "17750000001" not in page.text and "秘密单位" not in page.text and "secret@" not in page.text
    token = certificates.verify_path(expert["number"]).split("t=")[1]
    # change a character inside the signature (the last base64 character may only carry padding bits)
    middle = len(token) - 6
    forged = await client.get("/experts/verify?t=" + token[:middle] + ("A" if token[middle] != "A" else "B")
                              + token[middle + 1:])
    assert forged.status_code == 404
    await experts.set_status(SYSTEM, expert_id, "blacklisted", "x")
    again = await client.get(certificates.verify_path(expert["number"]))
    assert "no longer valid" in again.text

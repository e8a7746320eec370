"""EXP-03, EXP-08 in a real browser: an expert edits an approval-gated field on a phone, the admin approves it on
the desktop, and the expert's history shows before → after; the expert downloads their certificate and its QR's
public page shows the name, number and validity only. JavaScript on and off."""
from __future__ import annotations

import pytest

from app.core.audit import SYSTEM
from app.experts import certificates, experts
from app.support import users
from e2e.helpers import log_in

PASSWORD = "Demo2026pass!x"


@pytest.mark.req("EXP-03", "EXP-08")
async def test_gated_edit_approved_then_certificate_verified(phone, browser, live_server, db):
    user_id = await users.create_user(SYSTEM, username="e2e_expert", name="赵专家", password=PASSWORD,
                                      kind="registered")
    expert_id = await experts.create(SYSTEM, {"name": "赵专家", "phone": "17750000001", "title": "中级",
                                              "employer": "省交通设计院"}, user_id=user_id)
    await log_in(phone, "e2e_expert", PASSWORD)
    await phone.goto("/h5/expert/edit")
    assert await phone.is_visible("#gated-title")
    await phone.fill("#f-title", "正高级")
    await phone.fill("#f-region", "杭州")
    await phone.click("#profile-edit button[type=submit].primary")
    await phone.wait_for_selector("#my-history")
    assert await db.fetchval("SELECT title FROM exp_expert WHERE id = $1", expert_id) == "中级"  # waits
    assert "杭州" in await phone.inner_text("#my-history")  # an ungated field applied at once

    desk = await browser.new_context(base_url=live_server, locale="zh-CN", java_script_enabled=phone.mode == "js")
    admin = await desk.new_page()
    try:
        await log_in(admin, "admin", "Tongchuang2026")
        await admin.goto("/admin/experts/changes")
        request_id = await db.fetchval("SELECT id FROM exp_change_request WHERE expert = $1", expert_id)
        card = admin.locator(f"#change-{request_id}")
        assert "正高级" in await card.inner_text()
        await card.locator("button[name=decision][value=approve]").click()
        await admin.wait_for_load_state("networkidle")
        pdf = await admin.request.get(f"/admin/experts/{expert_id}/certificate.pdf")
        assert pdf.ok and (await pdf.body()).startswith(b"%PDF")
    finally:
        await desk.close()
    assert await db.fetchval("SELECT title FROM exp_expert WHERE id = $1", expert_id) == "正高级"

    await phone.goto("/h5/expert")
    history = await phone.inner_text("#my-history")
    assert "中级" in history and "正高级" in history  # before → after
    own = await phone.request.get("/h5/expert/certificate.pdf")
    assert own.ok and (await own.body()).startswith(b"%PDF")
    number = await db.fetchval("SELECT number FROM exp_expert WHERE id = $1", expert_id)
    await phone.context.clear_cookies()  # the QR is opened by anyone, logged in or not
    await phone.goto(certificates.verify_path(number))
    page = await phone.content()
    assert number in page and "赵专家" in page and "17750000001" not in page and "省交通设计院" not in page
    await phone.goto(certificates.verify_path(number) + "x")  # a forged QR
    assert number not in await phone.content()

"""EXP-04, EXP-09 in a real browser against the real server: an expert on a phone opens the invitation, accepts
it; the office enters the fee on the desktop; the expert confirms it with an e-signature — drawn on the canvas
with the finger (mouse moves here) when JavaScript runs, the typed full name when it does not — and the fee shows
confirmed, on the phone and in the office."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core import db as core_db
from app.core.audit import SYSTEM
from app.experts import experts, invitations
from app.support import users
from e2e.helpers import log_in, zh

NAME = "签名专家"
PASSWORD = "Demo2026pass!x"


async def phone_log_in(page, username: str, target: str) -> None:
    await page.goto(f"/login?password=1&next={target}")  # the password form, not WeChat's OAuth
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"**{target}")


@pytest.mark.req("EXP-04", "EXP-09")
async def test_fee_confirmation_e_signed_on_a_phone(phone, browser, live_server, db):
    user_id = await users.create_user(SYSTEM, username="e2e_signer", name=NAME, password=PASSWORD)
    expert_id = await experts.create(SYSTEM, {"name": NAME, "phone": "17763000001"}, user_id=user_id)
    inv = await invitations.invite(SYSTEM, expert_id, "reviews:e2e", "路桥方案评审",
                                   datetime.now(UTC) + timedelta(days=2), place="二号楼",
                                   files=[("方案.pdf", b"%PDF-1.4\n%%EOF\n")])

    await phone_log_in(phone, "e2e_signer", "/h5/expert/invitations")
    await phone.click(f"#inv-{inv} a")
    await phone.wait_for_selector("#invitation-files")
    await phone.click(f"form[action='/h5/expert/invitations/{inv}/accept'] button[type=submit]")
    await phone.wait_for_selector("#invitation-leave")
    assert await core_db.fetchval("SELECT status FROM exp_invitation WHERE id = $1", inv) == "accepted"

    desk = await browser.new_context(base_url=live_server, locale="zh-CN", java_script_enabled=phone.mode == "js")
    admin = await desk.new_page()
    try:
        await log_in(admin, "admin", "Tongchuang2026")
        await admin.goto(f"/admin/experts/invitations/{inv}")
        await admin.fill("#f-workload", "评审方案 3 份")
        await admin.fill("#f-amount", "1200")
        await admin.click(f"form[action='/admin/experts/invitations/{inv}/fee'] button[type=submit].primary")
        await admin.wait_for_selector("#fee-status")
        assert "¥1200.00" in await admin.inner_text("#fee-status")
    finally:
        await desk.close()

    await phone.reload()  # the invitation now shows its fee; the link is boosted by htmx when JS runs
    await phone.click("#invitation-fee a")
    await phone.wait_for_selector("#fee-sign")
    assert "¥1200.00" in await phone.inner_text("#fee-amount")
    if phone.mode == "js":
        canvas = phone.locator(".signature-canvas")
        await canvas.wait_for(state="visible")
        box = await canvas.bounding_box()
        await phone.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
        await phone.mouse.down()
        for step in range(1, 25):
            await phone.mouse.move(box["x"] + 20 + step * (box["width"] - 40) / 24,
                                   box["y"] + box["height"] * (0.3 if step % 2 else 0.7))
        await phone.mouse.up()
        assert (await phone.input_value("input[name=signature]")).startswith("data:image/png;base64,")
    else:
        assert not await phone.locator(".signature-canvas").is_visible()
        await phone.fill("#f-signed_name", NAME)
    await phone.click(f"form[action='/h5/expert/invitations/{inv}/fee'] button[type=submit].primary")
    await phone.wait_for_selector("#fee-signed")
    assert zh("Confirmed") in await phone.inner_text("#fee-status")
    row = await core_db.fetchrow("SELECT status, signature_key, signed_name FROM exp_fee WHERE invitation = $1", inv)
    assert row["status"] == "confirmed"
    if phone.mode == "js":
        assert row["signature_key"].endswith(".png")
        assert await phone.locator("img.signature-image").count() == 1
    else:
        assert (row["signature_key"], row["signed_name"]) == ("", NAME)

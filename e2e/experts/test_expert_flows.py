"""EXP-01, EXP-10, EXP-12 in a real browser against the real server: an applicant opens the application on a
phone (from a QR / shared link), confirms the phone by SMS code, saves step 1 as a draft, comes back on a fresh
phone (the code finds the draft), finishes, confirms the email and submits; the committee admin and the chief
admin approve on the desktop; the applicant is a formal expert. JavaScript on and off."""
from __future__ import annotations

import pytest

from app.core import db as core_db
from app.core.audit import SYSTEM
from app.experts import taxonomy
from e2e.helpers import log_in
from tests.experts.helpers import mail_code, sms_code

PHONE = "17730000001"
EMAIL = "e2e.expert@example.test"


async def confirm_phone(page, db) -> None:
    await page.goto("/experts/apply")
    await page.fill("#f-phone", PHONE)
    await page.click("form[action='/experts/apply/code'] button[type=submit].primary")
    await page.wait_for_selector("#f-code")
    await page.fill("#f-code", await sms_code(db, PHONE))
    await page.click("form[action='/experts/apply/verify'] button[type=submit].primary")
    await page.wait_for_selector("#apply-step")


@pytest.mark.req("EXP-01", "EXP-10", "EXP-12")
async def test_apply_on_a_phone_with_a_draft_then_two_level_approval(phone, browser, live_server, db):
    from e2e.conftest import MODES

    leaf = (await taxonomy.by_code(["ENG-CIV-BRG"])).get("ENG-CIV-BRG") or await taxonomy.save(
        SYSTEM, {"code": "E2E-F", "name": "桥梁工程"})
    await confirm_phone(phone, db)
    await phone.fill("#f-name", "王申请")
    await phone.fill("#f-email", EMAIL)
    async with phone.expect_response(lambda r: r.request.method == "POST" and "/experts/apply" in r.url):
        await phone.click("button[name=action][value=draft]")
    await phone.wait_for_selector("#apply-step")
    assert await core_db.fetchval("SELECT data->>'name' FROM exp_application WHERE phone = $1", PHONE) == "王申请"

    # later, on another phone: the code opens the saved draft
    options = {**MODES["phone"], "java_script_enabled": phone.mode == "js"}
    ctx = await browser.new_context(base_url=live_server, locale="zh-CN", **options)
    other = await ctx.new_page()
    try:
        await db.execute("UPDATE exp_code SET created_at = created_at - interval '2 minutes'")
        await confirm_phone(other, db)
        assert "/experts/apply/step/2" in other.url
        await other.fill("#f-employer", "市政设计研究院")
        await other.check(f"input[name=fields][value='{leaf}']")
        await other.click("button[name=action][value=next]")
        await other.wait_for_selector("#apply-summary")
        assert "王申请" in await other.inner_text("#apply-summary")
        await other.click("form[action='/experts/apply/email-code'] button")
        await other.wait_for_selector("#f-email_code")
        await other.fill("#f-email_code", await mail_code(db, EMAIL))
        await other.click("form[action='/experts/apply/email-verify'] button")
        await other.wait_for_selector("form[action='/experts/apply/submit']")
        await other.click("form[action='/experts/apply/submit'] button[type=submit].primary")
        await other.wait_for_selector("#apply-status")
    finally:
        await ctx.close()
    app_id = await db.fetchval("SELECT id FROM exp_application WHERE phone = $1 AND status = 'pending'", PHONE)
    assert app_id

    await db.execute("INSERT INTO role (code, name, permissions, data_scope) VALUES ('e2e_committee', 'c',"
                     " ARRAY['sup.admin', 'exp.application.view', 'exp.approve.committee'], 'all')")
    await db.execute("INSERT INTO user_role (\"user\", role) SELECT u.id, r.id FROM app_user u, role r"
                     " WHERE u.username = 'cs_admin' AND r.code = 'e2e_committee'")
    desk = await browser.new_context(base_url=live_server, locale="zh-CN",
                                     java_script_enabled=phone.mode == "js")
    admin = await desk.new_page()
    try:
        for username, password in (("cs_admin", "Demo2026pass"), ("admin", "Tongchuang2026")):
            await log_in(admin, username, password)
            await admin.goto(f"/admin/experts/applications/{app_id}")
            await admin.click("button[name=decision][value=approve]")
            await admin.wait_for_load_state("networkidle")
            await admin.context.clear_cookies()
    finally:
        await desk.close()
    expert = await db.fetchrow("SELECT status, source FROM exp_expert WHERE phone = $1", PHONE)
    assert expert and expert["status"] == "formal" and expert["source"] == "apply"

"""IDV-02 … IDV-04, SUP-05, SUP-08 in a real browser against the real server and the built-in school IdP /
WeChat simulator (`python -m app idp`, fixture `idp`): an alumnus inside WeChat logs in by WeChat OAuth, links
his account, claims his identity, fails the questions once and passes the second time; another claim goes to
manual review and the college admin approves it on a phone; staff log in through CAS and through OIDC.
Each runs with JavaScript on and off."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.core import dictionary
from app.core.audit import SYSTEM
from app.core.i18n import current_locale
from app.identity import demo_claims
from app.support import users
from app.support.seed import DEMO_PASSWORD
from e2e.helpers import BOTH, zh

CS_COLLEGE = "计算机科学与技术学院"


async def alumnus_truths() -> set[str]:
    """What 张同学's own record says (the demo record the questions are drawn from)."""
    record = demo_claims.ALUMNUS_RECORD
    reset = current_locale.set("zh_CN")  # the labels the zh-CN browser is shown
    try:
        degrees = await dictionary.label_map("degree_level")
    finally:
        current_locale.reset(reset)
    return {record["major"], record["class_name"], CS_COLLEGE, str(record["grad_year"]),
            degrees.get(record["degree"], record["degree"])}


async def answer(page, truths: set[str], right: bool) -> None:
    """Tick, for every question, an option that is (or is not) on the record, and submit the set."""
    questions = page.locator("fieldset.idn-question")
    count = await questions.count()
    assert count >= 2, (page.url, (await page.locator("main").inner_text())[:800])
    for i in range(count):
        options = questions.nth(i).locator("input[type=radio]")
        values = [await options.nth(j).get_attribute("value") for j in range(await options.count())]
        pick = next((v for v in values if (v in truths) == right), None)
        assert pick is not None, (values, truths)
        await questions.nth(i).locator(f"input[value='{pick}']").check()
    async with page.expect_response(lambda r: r.url.endswith("/h5/identity/questions")
                                    and r.request.method == "POST"):
        await page.click("form[action='/h5/identity/questions'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def claim(page, name: str, entry_year: int) -> None:
    await page.goto("/h5/identity/claim")
    await page.select_option("#f-kind", "alumnus")
    await page.fill("#f-name", name)
    await page.select_option("#f-college", label=CS_COLLEGE)
    await page.fill("#f-entry_year", str(entry_year))
    async with page.expect_response(lambda r: r.url.endswith("/h5/identity/claim") and r.request.method == "POST"):
        await page.click("form[action='/h5/identity/claim'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def password_login(page, username: str, password: str = DEMO_PASSWORD, next_url: str = "") -> None:
    """The password form; inside WeChat /login would go to WeChat OAuth, ?password=1 keeps the form."""
    await page.goto("/login?password=1" + (f"&next={next_url}" if next_url else ""))
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


@pytest.mark.req("SUP-08")
@pytest.mark.req("IDV-02")
async def test_an_alumnus_in_wechat_logs_in_links_claims_fails_the_questions_once_and_is_verified(phone, idp, db):
    truths = await alumnus_truths()
    await phone.goto("/h5")  # not logged in, inside WeChat: straight to WeChat's authorisation
    await phone.wait_for_selector("text=" + zh("Which WeChat account is this phone?"))
    assert phone.url.startswith(idp + "/connect/oauth2")
    await phone.click("button:has-text('微信用户小张')")
    await phone.wait_for_selector("button[value=allow]")  # unknown openid: the profile is asked for
    await phone.click("button[value=allow]")
    await phone.wait_for_selector("form[action='/auth/bind']")
    assert "微信用户小张" in await phone.content()
    await phone.fill("form[action='/auth/bind'] #f-username", "alumnus")
    await phone.fill("form[action='/auth/bind'] #f-password", DEMO_PASSWORD)
    await phone.click("form[action='/auth/bind'] button[type=submit]")
    await phone.wait_for_selector("#h5-shortcuts")
    binding = await db.fetchrow("SELECT b.subject, b.display_name, u.username FROM idn_binding b"
                                " JOIN app_user u ON u.id = b.\"user\" JOIN idn_provider p ON p.id = b.provider"
                                " WHERE p.kind = 'wechat'")
    assert binding["username"] == "alumnus" and binding["display_name"] == "微信用户小张"

    await claim(phone, "张同学", 2008)
    await phone.wait_for_selector("fieldset.idn-question")
    await answer(phone, truths, right=False)
    await phone.wait_for_selector("fieldset.idn-question")  # a fresh set, the second and last
    assert "2" in await phone.locator("form[action='/h5/identity/questions'] p.muted").inner_text()
    await answer(phone, truths, right=True)
    await phone.goto("/h5/identity")
    await phone.wait_for_selector("#identity-verified")
    assert zh("Verified") in await phone.locator("#identity-verified").inner_text()
    person_user = await db.fetchval('SELECT u.username FROM rec_person p JOIN app_user u ON u.id = p."user"'
                                    " WHERE p.name = '张同学'")
    assert person_user == "alumnus"

    # Next time inside WeChat the bound openid logs in without any page in between.
    await phone.context.clear_cookies(name="tc_session")
    await phone.goto("/h5")
    await phone.wait_for_selector("#h5-shortcuts")
    assert urlsplit(phone.url).path == "/h5"  # (the browser keeps WeChat's #wechat_redirect fragment, as WeChat's)


@pytest.mark.req("IDV-03")
@pytest.mark.req("IDV-04")
async def test_a_claim_goes_to_manual_review_and_the_college_admin_approves_it_on_a_phone(phone, browser, live_server,
                                                                                        idp, db):
    from e2e.conftest import MODES

    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    # A CS record nobody claimed whose name and intake point at it alone.
    person = await db.fetchrow(
        "SELECT p.id, p.name, e.entry_year FROM rec_person p JOIN rec_education e ON e.person = p.id"
        " AND e.college = $1 WHERE p.status = 'active' AND p.\"user\" IS NULL AND e.entry_year IS NOT NULL"
        " AND e.major <> '' AND NOT EXISTS (SELECT 1 FROM idn_claim c WHERE c.person = p.id)"
        " AND (SELECT count(*) FROM rec_person q JOIN rec_education f ON f.person = q.id WHERE q.name = p.name"
        "      AND f.entry_year = e.entry_year AND q.status = 'active') = 1 ORDER BY p.id LIMIT 1", cs)
    await users.create_user(SYSTEM, username="e2e_applicant", name=person["name"], email="e2e_applicant@example.cn",
                            kind="registered", password=DEMO_PASSWORD)

    await password_login(phone, "e2e_applicant", next_url="/h5/identity")
    await claim(phone, person["name"], person["entry_year"])
    for _ in range(2):  # the applicant does not remember: every answer is a guess that misses
        await phone.wait_for_selector("fieldset.idn-question")
        await answer(phone, set(), right=False)
    await phone.wait_for_selector("form[action='/h5/identity/claim/review']")
    async with phone.expect_response(lambda r: r.url.endswith("/h5/identity/claim/review")):
        await phone.click("form[action='/h5/identity/claim/review'] button")
    await phone.wait_for_load_state("networkidle")
    claim_row = await db.fetchrow("SELECT c.id, c.status FROM idn_claim c JOIN app_user u ON u.id = c.\"user\""
                                  " WHERE u.username = 'e2e_applicant'")
    assert claim_row["status"] == "pending"

    options = {**MODES["phone"], "java_script_enabled": phone.mode == "js"}
    admin_ctx = await browser.new_context(base_url=live_server, locale="zh-CN", **options)
    admin = await admin_ctx.new_page()
    try:
        await password_login(admin, "cs_admin", next_url="/h5/identity/reviews")
        await admin.wait_for_selector(f"a[href='/h5/identity/reviews/{claim_row['id']}']")
        await admin.click(f"a[href='/h5/identity/reviews/{claim_row['id']}']")
        await admin.check(f"#person-{person['id']}")
        await admin.click(f"form[action='/h5/identity/reviews/{claim_row['id']}/approve'] button[type=submit]")
        await admin.wait_for_selector(f"form[action='/h5/identity/reviews/{claim_row['id']}/approve'][method=post]")
        async with admin.expect_response(lambda r: r.url.endswith("/approve") and r.request.method == "POST"):
            await admin.click("form[method=post] button[type=submit].primary")
        await admin.wait_for_load_state("networkidle")
    finally:
        await admin_ctx.close()
    assert await db.fetchval("SELECT status FROM idn_claim WHERE id = $1", claim_row["id"]) == "verified"

    await phone.goto("/h5/identity")
    await phone.wait_for_selector("#identity-verified")
    await phone.goto("/h5")
    assert zh("Alumni verification") in await phone.content()


@pytest.mark.req("SUP-05")
@BOTH
async def test_staff_log_in_through_cas_and_through_oidc(page, mode, idp, db):
    # CAS: t2001 is nobody here by number, so he links his account once; then CAS takes him straight in.
    await page.goto("/login")
    await page.click("a.login-cas")
    await page.wait_for_selector("#username")
    assert page.url.startswith(idp + "/cas/login")
    await page.fill("#username", "t2001")
    await page.fill("#password", "idp-pass")
    await page.click("button[type=submit]")
    await page.wait_for_selector("form[action='/auth/bind']")
    await page.fill("form[action='/auth/bind'] #f-username", "cs_admin")
    await page.fill("form[action='/auth/bind'] #f-password", DEMO_PASSWORD)
    await page.click("form[action='/auth/bind'] button[type=submit]")
    await page.wait_for_selector("form[action='/logout']")
    await page.click("form[action='/logout'] button")
    await page.wait_for_selector("form[action='/login']")
    await page.click("a.login-cas")  # the IdP's own session: no form this time
    await page.wait_for_selector("form[action='/logout']")
    log = await db.fetch("SELECT username, reason FROM login_log WHERE success ORDER BY id DESC LIMIT 1")
    assert log[0]["reason"] == "cas"

    # OIDC: t2002's e-mail is hq's: in at once (the IdP still knows t2001, so log out there first).
    await page.click("form[action='/logout'] button")
    await page.wait_for_selector("form[action='/login']")
    await page.goto(idp + "/cas/logout")
    await page.goto("/login")
    await page.click("a.login-oidc")
    await page.wait_for_selector("#username")
    await page.fill("#username", "t2002")
    await page.fill("#password", "idp-pass")
    await page.click("button[type=submit]")
    await page.wait_for_selector("form[action='/logout']")
    row = await db.fetchrow("SELECT l.reason, u.username FROM login_log l JOIN app_user u ON u.id = l.user_id"
                            " WHERE l.success ORDER BY l.id DESC LIMIT 1")
    assert row["reason"] == "oidc" and row["username"] == "hq"

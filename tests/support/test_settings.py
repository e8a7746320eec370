"""SUP-11 site settings: grouped form, write-only secrets, ranges, redacted audit."""
import json

import pytest

from app.core import settings_store
from app.support import site_settings
from tests.helpers import post_form

SECRET = "Sm7p-Pa55word-x9Q2"


async def current_form() -> dict:
    """What a browser would submit unchanged: every non-secret value as shown, secrets empty."""
    data, _hints = await site_settings.form_state()
    return {k: "" if v is None else str(v) for k, v in data.items()}


@pytest.fixture
async def admin(as_user):
    client = await as_user("admin")
    client.cookies.set("tc_lang", "en")
    return client


@pytest.mark.req("SUP-11")
async def test_page_shows_every_section(admin):
    page = await admin.get("/admin/settings")
    assert page.status_code == 200
    for name in ("site_name", "site_logo_url", "site_copyright", "site_contact", "site_icp", "upload_max_mb",
                 "upload_types", "login_max_failures", "login_window_minutes", "login_block_minutes", "smtp_host",
                 "smtp_port", "smtp_user", "smtp_password", "wechat_appid", "wechat_secret", "sms_api_key"):
        assert f'name="{name}"' in page.text, name


@pytest.mark.req("SUP-11")
async def test_saved_settings_apply_and_secret_never_returns_to_browser(admin, db):
    data = {**await current_form(), "site_name": "同窗测试站", "site_icp": "京ICP备12345678号",
            "smtp_host": "smtp.example.cn", "smtp_port": "465", "upload_types": "JPG, .png,pdf",
            "smtp_password": SECRET}
    saved = await post_form(admin, "/admin/settings", "/admin/settings", data)
    assert saved.status_code == 303
    assert await settings_store.get("site.name") == "同窗测试站"
    assert await settings_store.get("smtp.port") == 465
    assert await settings_store.get("upload.types") == "jpg,png,pdf"
    assert await settings_store.get("smtp.password") == SECRET
    page = await admin.get("/admin/settings")
    assert SECRET not in page.text and SECRET[-6:] not in page.text
    assert "Set (••••••Q2)" in page.text  # only that it is set, and its last two characters
    assert "京ICP备12345678号" in page.text  # the footer shows the new filing text too
    # A rejected form is re-rendered without the secret either.
    bad = await post_form(admin, "/admin/settings", "/admin/settings",
                          {**await current_form(), "wechat_secret": "wx-secret-value-123", "upload_max_mb": "0"})
    assert bad.status_code == 422 and "wx-secret-value-123" not in bad.text and SECRET not in bad.text
    assert await settings_store.get("wechat.secret") == ""


@pytest.mark.req("SUP-11")
async def test_empty_secret_keeps_and_clear_removes(admin, db):
    await post_form(admin, "/admin/settings", "/admin/settings", {**await current_form(), "sms_api_key": SECRET})
    kept = await post_form(admin, "/admin/settings", "/admin/settings",
                           {**await current_form(), "sms_api_key": "", "site_contact": "010-12345678"})
    assert kept.status_code == 303
    assert await settings_store.get("sms.api_key") == SECRET
    assert await settings_store.get("site.contact") == "010-12345678"
    cleared = await post_form(admin, "/admin/settings", "/admin/settings",
                              {**await current_form(), "sms_api_key": "", "sms_api_key_clear": "on"})
    assert cleared.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM site_setting WHERE key = 'sms.api_key'") == 0
    assert await settings_store.get("sms.api_key") == ""
    page = await admin.get("/admin/settings")
    assert "Set (" not in page.text.split('name="sms_api_key"')[1].split("</div>")[0]


@pytest.mark.req("SUP-11")
@pytest.mark.parametrize("field, value, message", [
    ("upload_max_mb", "0", "At least 1."),
    ("upload_max_mb", "abc", "Enter a whole number."),
    ("login_max_failures", "1000", "At most 100."),
    ("smtp_port", "70000", "At most 65535."),
    ("site_logo_url", "javascript:alert(1)", "Enter an address starting with"),
    ("upload_types", "jpg, p d f", "Not a file extension"),
    ("site_name", "", "This field is required."),
])
async def test_invalid_value_is_422_with_message_at_the_field(admin, db, field, value, message):
    before = await db.fetchval("SELECT count(*) FROM site_setting")
    response = await post_form(admin, "/admin/settings", "/admin/settings", {**await current_form(), field: value})
    assert response.status_code == 422
    error = response.text.split(f'id="f-{field}-err"')[1].split("</p>")[0]
    assert message in error
    assert await db.fetchval("SELECT count(*) FROM site_setting") == before  # nothing saved


@pytest.mark.req("SUP-11")
async def test_audit_records_changes_with_secrets_redacted(admin, db):
    await post_form(admin, "/admin/settings", "/admin/settings",
                    {**await current_form(), "smtp_password": SECRET, "login_max_failures": "7"})
    await post_form(admin, "/admin/settings", "/admin/settings",
                    {**await current_form(), "smtp_password": SECRET + "-new"})
    rows = await db.fetch("SELECT before, after, summary, actor_name FROM audit_log WHERE entity = 'site_setting' "
                          "ORDER BY id")
    assert len(rows) == 2
    assert all(SECRET not in (r["before"] or "") + (r["after"] or "") + r["summary"] for r in rows)
    first_before, first_after = json.loads(rows[0]["before"]), json.loads(rows[0]["after"])
    assert first_before == {"login.max_failures": 5, "smtp.password": ""}
    assert first_after == {"login.max_failures": 7, "smtp.password": "[changed]"}
    assert json.loads(rows[1]["before"]) == {"smtp.password": "[set]"}
    assert json.loads(rows[1]["after"]) == {"smtp.password": "[changed]"}
    detail = await admin.get("/admin/audit/{}".format(
        await db.fetchval("SELECT max(id) FROM audit_log WHERE entity = 'site_setting'")))
    assert detail.status_code == 200 and SECRET not in detail.text
    unchanged = await post_form(admin, "/admin/settings", "/admin/settings", await current_form())
    assert unchanged.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'site_setting'") == 2


@pytest.mark.req("SUP-11")
async def test_settings_need_permission(as_user):
    client = await as_user("cs_admin")
    assert (await client.get("/admin/settings")).status_code == 403
    page = await client.get("/admin")
    assert (await client.post("/admin/settings", data={"site_name": "x", "_csrf_token": page.text.split(
        'name="_csrf_token" value="')[1].split('"')[0]})).status_code == 403

"""SUP-07 message templates and delivery log: an admin-edited template is what the real SMTP sink
receives; broken templates are refused with a field message; preview; reset to default; the log
filters and re-queues a failed email."""
import re
import socket

import pytest

from app.core import jobs, notify, settings_store
from tests.helpers import csrf_from, post_form

EDIT = "/admin/messages/templates/password_reset/email"


async def _uid(db, username: str) -> int:
    return await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="f-{field}-err">([^<]+)</p>', html)
    return match.group(1) if match else ""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.req("SUP-07")
async def test_edited_email_template_goes_through_the_real_smtp_sink(as_user, db, smtp_sink):
    client = await as_user("admin")
    listing = await client.get("/admin/messages/templates")
    assert listing.status_code == 200
    for code, channel in (("password_reset", "email"), ("todo_assigned", "inbox"), ("generic", "email")):
        assert f'href="/admin/messages/templates/{code}/{channel}"' in listing.text
    saved = await post_form(client, EDIT, EDIT, {
        "subject": "【同窗】{{ name }}，请重设密码",
        "body": "{{ name }} 您好：\n请在 {{ minutes }} 分钟内打开 {{ link }} 设置新密码。"})
    assert saved.status_code == 303
    assert await db.fetchval("SELECT subject FROM message_template WHERE code = 'password_reset' "
                             "AND channel = 'email'") == "【同窗】{{ name }}，请重设密码"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'message_template' "
                             "AND entity_id = 'password_reset/email' AND action = 'update'") == 1

    hq = await _uid(db, "hq")
    await notify.notify([hq], "password_reset", {"name": "王总会", "link": "http://x.test/r/abc", "minutes": 60},
                        channels=["email"])
    delivery = await db.fetchrow("SELECT * FROM delivery_log WHERE user_id = $1 AND channel = 'email'", hq)
    assert delivery["status"] == "queued" and delivery["subject"] == "【同窗】王总会，请重设密码"
    assert await jobs.drain() >= 1
    assert await db.fetchval("SELECT status FROM delivery_log WHERE id = $1", delivery["id"]) == "sent"
    mail = await db.fetchrow("SELECT * FROM dev_mail WHERE rcpt = 'hq@tongchuang.local' ORDER BY id DESC LIMIT 1")
    assert mail["subject"] == "【同窗】王总会，请重设密码"
    assert "请在 60 分钟内打开 http://x.test/r/abc 设置新密码。" in mail["body"]

    log = await client.get("/admin/messages/deliveries?channel=email&status=sent&template=password_reset")
    assert log.status_code == 200 and "【同窗】王总会，请重设密码" in log.text
    assert "【同窗】王总会" not in (await client.get("/admin/messages/deliveries?status=failed")).text


@pytest.mark.req("SUP-07")
async def test_broken_template_is_refused_with_a_field_message(as_user, db):
    client = await as_user("admin")
    syntax = await post_form(client, EDIT, EDIT, {"subject": "重设密码", "body": "您好 {{ name \n链接 {{ link }}"})
    assert syntax.status_code == 422
    assert _field_error(syntax.text, "body") and not _field_error(syntax.text, "subject")
    assert "您好 {{ name" in syntax.text  # the admin's text is kept for correction
    typo = await post_form(client, EDIT, EDIT, {"subject": "{{ nmae }} 重设密码", "body": "{{ link }}"})
    assert typo.status_code == 422 and "nmae" in _field_error(typo.text, "subject")
    runtime = await post_form(client, EDIT, EDIT, {"subject": "x", "body": "{{ minutes / 0 }}"})
    assert runtime.status_code == 422 and _field_error(runtime.text, "body")
    unsafe = await post_form(client, EDIT, EDIT, {"subject": "x", "body": "{{ link.__class__.__init__.__globals__ }}"})
    assert unsafe.status_code == 422 and _field_error(unsafe.text, "body")
    empty = await post_form(client, EDIT, EDIT, {"subject": "", "body": "{{ link }}"})
    assert empty.status_code == 422 and _field_error(empty.text, "subject")
    assert await db.fetchval("SELECT count(*) FROM message_template") == 0
    assert (await client.get("/admin/messages/templates/nope/email")).status_code == 404


@pytest.mark.req("SUP-07")
async def test_preview_uses_sample_data_and_does_not_save(as_user, db):
    client = await as_user("admin")
    page = await client.get(EDIT)
    assert page.status_code == 200 and "张三" in page.text  # the default text, previewed
    shown = await post_form(client, EDIT, EDIT, {"intent": "preview", "subject": "给 {{ name }} 的信",
                                                 "body": "有效期 {{ minutes }} 分钟"})
    assert shown.status_code == 200 and "给 张三 的信" in shown.text and "有效期 60 分钟" in shown.text
    fragment = await client.post(EDIT, data={"intent": "preview", "subject": "Hi {{ name }}", "body": "{{ link }}",
                                             "_csrf_token": csrf_from(page.text)},
                                 headers={"HX-Request": "true", "HX-Target": "editor"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Hi 张三" in fragment.text
    assert await db.fetchval("SELECT count(*) FROM message_template") == 0


@pytest.mark.req("SUP-07")
async def test_reset_to_default_through_a_confirm_page(as_user, db):
    client = await as_user("admin")
    await post_form(client, EDIT, EDIT, {"subject": "自定义主题", "body": "{{ link }}"})
    assert await db.fetchval("SELECT subject FROM message_template WHERE code = 'password_reset'") == "自定义主题"
    confirm = await client.get(f"{EDIT}/reset")
    assert confirm.status_code == 200 and f'action="{EDIT}/reset"' in confirm.text
    done = await client.post(f"{EDIT}/reset", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM message_template") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log "
                             "WHERE entity = 'message_template' AND action = 'delete'") == 1
    assert await notify.template_for("password_reset", "email") == (
        str(notify.DEFAULT_TEMPLATES["password_reset"][1]["email"][0]),
        str(notify.DEFAULT_TEMPLATES["password_reset"][1]["email"][1]))


@pytest.mark.req("SUP-07")
async def test_templates_need_permission(as_user):
    client = await as_user("cs_admin")
    assert (await client.get("/admin/messages/templates")).status_code == 403
    assert (await client.get(EDIT)).status_code == 403
    assert (await client.get("/admin/messages/deliveries")).status_code == 403


@pytest.mark.req("SUP-07")
async def test_failed_email_is_requeued_and_then_sent(as_user, db, smtp_sink):
    em = await _uid(db, "em_admin")
    await settings_store.put("smtp.port", _closed_port())  # the mail server is down
    await notify.notify([em], "generic", {"title": "理事会通知", "body": "请查收附件"}, channels=["email"])
    await jobs.drain()
    delivery = await db.fetchrow("SELECT * FROM delivery_log WHERE user_id = $1 AND channel = 'email'", em)
    assert delivery["status"] == "failed" and delivery["error"]
    await settings_store.put("smtp.port", 0)  # back to the configured server

    client = await as_user("auditor")  # sup.delivery.view, addresses masked for this role
    log = await client.get("/admin/messages/deliveries?status=failed&q=em_admin")
    assert "理事会通知" in log.text
    assert "em_admin@tongchuang.local" not in log.text and "e***@tongchuang.local" in log.text
    assert f'action="/admin/messages/deliveries/{delivery["id"]}/requeue"' in log.text
    bad_date = await client.get("/admin/messages/deliveries?date_from=2026-13-45")
    assert bad_date.status_code == 422 and 'id="err-date_from"' in bad_date.text
    ranged = await client.get("/admin/messages/deliveries?date_from=2000-01-01&date_to=2000-01-02")
    assert "理事会通知" not in ranged.text

    again = await post_form(client, "/admin/messages/deliveries",
                            f"/admin/messages/deliveries/{delivery['id']}/requeue",
                            {"next": "/admin/messages/deliveries?status=failed"})
    assert again.status_code == 303 and again.headers["location"] == "/admin/messages/deliveries?status=failed"
    assert await db.fetchval("SELECT status FROM delivery_log WHERE id = $1", delivery["id"]) == "queued"
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'delivery_log' AND action = 'requeue'") == 1
    await jobs.drain()
    assert await db.fetchval("SELECT status FROM delivery_log WHERE id = $1", delivery["id"]) == "sent"
    assert await db.fetchval("SELECT count(*) FROM dev_mail WHERE rcpt = 'em_admin@tongchuang.local' "
                             "AND subject = '理事会通知'") == 1
    # a sent email cannot be re-queued
    refused = await post_form(client, "/admin/messages/deliveries",
                              f"/admin/messages/deliveries/{delivery['id']}/requeue", {})
    assert refused.status_code == 303
    assert await db.fetchval("SELECT status FROM delivery_log WHERE id = $1", delivery["id"]) == "sent"

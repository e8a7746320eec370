"""Birthday greetings (REC-14): settings page, editable template, the scheduled daily job greeting each
reachable person once per year through the inbox and the real SMTP sink."""
import json
from datetime import date, datetime, timedelta

import pytest

from app.core import jobs
from app.core.audit import SYSTEM
from app.records import api, birthday
from tests.helpers import post_form

pytestmark = pytest.mark.req("REC-14")
PAGE = "/admin/records/birthday"


async def _born_today(name: str, **values) -> int:
    today = date.today()
    born = date(1990, today.month, today.day) if (today.month, today.day) != (2, 29) else date(1992, 2, 29)
    return await api.create_person(SYSTEM, {"name": name, "birthday": born, **values})


async def _run_job() -> dict:
    job_id = await jobs.enqueue("rec.birthday", {"force": True})
    await jobs.drain()
    job = await jobs.get(job_id)
    assert job["status"] == "done", job["error"]
    return json.loads(job["result"]) if isinstance(job["result"], str) else job["result"]


async def test_daily_job_greets_each_person_once_per_year(as_user, db, smtp_sink):
    client = await as_user("admin")
    saved = await post_form(client, PAGE, PAGE, {"enabled": "on", "channels": ["inbox", "email"], "hour": "0"})
    assert saved.status_code == 303
    edit = "/admin/messages/templates/rec_birthday/email"
    saved = await post_form(client, edit, edit, {"subject": "{{ name }}，生日快乐！",
                                                 "body": "亲爱的 {{ name }}：{{ school }} 祝您生日快乐。"})
    assert saved.status_code == 303

    liaison = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    with_account = await _born_today("生日甲")
    await db.execute('UPDATE rec_person SET "user" = $2 WHERE id = $1', with_account, liaison)
    email_only = await _born_today("生日乙", email="yi@alumni.example.cn")
    unreachable = await _born_today("生日丙")
    merged = await _born_today("生日丁", email="ding@alumni.example.cn")
    await db.execute("UPDATE rec_person SET status = 'merged' WHERE id = $1", merged)
    tomorrow = date.today() + timedelta(days=1)
    await api.create_person(SYSTEM, {"name": "明天生日", "email": "tomorrow@alumni.example.cn",
                                         "birthday": date(1992, tomorrow.month, tomorrow.day)})

    first = await _run_job()
    assert first["greeted"] >= 2
    sent = {r["person"] for r in await db.fetch("SELECT person FROM rec_birthday_sent")}
    assert {with_account, email_only} <= sent and not sent & {unreachable, merged}
    inbox = await db.fetch('SELECT title FROM inbox_message WHERE "user" = $1 AND template_code = $2', liaison,
                           birthday.TEMPLATE)
    assert [r["title"] for r in inbox] == ["Happy birthday, 生日甲!"]
    mails = await db.fetch("SELECT rcpt, subject, body FROM dev_mail ORDER BY id")
    by_rcpt = {m["rcpt"]: m for m in mails}
    assert by_rcpt["liaison@tongchuang.local"]["subject"] == "生日甲，生日快乐！"
    assert by_rcpt["yi@alumni.example.cn"]["subject"] == "生日乙，生日快乐！"
    assert "祝您生日快乐" in by_rcpt["yi@alumni.example.cn"]["body"]
    assert "tomorrow@alumni.example.cn" not in by_rcpt and "ding@alumni.example.cn" not in by_rcpt

    second = await _run_job()  # the same day again (or the next hourly slot): nobody twice
    assert second["greeted"] == 0
    assert await db.fetchval("SELECT count(*) FROM dev_mail") == len(mails)
    assert await db.fetchval('SELECT count(*) FROM inbox_message WHERE "user" = $1 AND template_code = $2', liaison,
                             birthday.TEMPLATE) == 1
    page = await client.get(PAGE)
    assert "生日乙" in page.text  # recent greetings


async def test_job_waits_for_the_send_hour_and_the_switch(db):
    await _born_today("生日戊", email="wu@alumni.example.cn")
    assert (await birthday.run())["skipped"] == "disabled"
    await birthday.save_settings(SYSTEM, True, ["email"], 10)
    early = datetime.now().astimezone().replace(hour=9)
    assert (await birthday.run(now=early))["skipped"] == "before send hour"
    assert await db.fetchval("SELECT count(*) FROM rec_birthday_sent") == 0
    done = await birthday.run(now=early.replace(hour=10))
    assert done["greeted"] == 1 and done["channels"] == ["email"]


async def test_feb_29_birthdays_are_greeted_on_feb_28_of_common_years(db):
    assert birthday.birthdays_of(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert birthday.birthdays_of(date(2028, 2, 28)) == [(2, 28)]


async def test_settings_page_validates_and_shows_sms_as_unavailable(as_user, db, monkeypatch):
    from app.core import notify

    client = await as_user("admin")
    installed = await client.get(PAGE)  # the SMS module provides the channel
    assert 'name="channels" value="sms"' in installed.text
    assert "Unavailable: no SMS channel is configured" not in installed.text
    monkeypatch.delitem(notify._senders, "sms")  # a deployment without the SMS module
    page = await client.get(PAGE)
    assert page.status_code == 200 and "Unavailable: no SMS channel is configured" in page.text
    refused = await post_form(client, PAGE, PAGE, {"enabled": "on", "channels": ["sms"], "hour": "9"})
    assert refused.status_code == 422 and "This channel is not available: SMS." in refused.text
    none = await post_form(client, PAGE, PAGE, {"enabled": "on", "hour": "9"})
    assert none.status_code == 422 and "Choose at least one channel." in none.text
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'rec_birthday_settings'") == 0
    templates = await client.get("/admin/messages/templates")
    assert 'href="/admin/messages/templates/rec_birthday/email"' in templates.text
    assert await db.fetchval("SELECT interval_seconds FROM job_schedule WHERE name = 'rec.birthday'") == 3600
    assert (await (await as_user("cs_admin")).get(PAGE)).status_code == 403

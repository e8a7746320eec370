"""Dev mailbox: the local SMTP sink's mail for superusers in dev; 403 for others, 404 outside dev;
bodies shown as text with clickable, escaped links."""
import dataclasses

import pytest

from app.config import get_settings
from app.core import notify
from app.support.routes.admin import mailbox
from tests.helpers import post_form


@pytest.mark.req("SUP-07")
async def test_superuser_reads_mail_received_by_the_sink(as_user, db, smtp_sink):
    await notify.send_email("bj_admin@tongchuang.local", "北京校友会 <活动> 报名",
                            "请打开 https://alumni.example.edu/e/42?a=1&b=2 报名。\n<script>alert(1)</script>")
    mail_id = await db.fetchval("SELECT id FROM dev_mail WHERE rcpt = 'bj_admin@tongchuang.local'")
    client = await as_user("admin")
    listing = await client.get("/admin/dev/mailbox")
    assert listing.status_code == 200
    assert f'href="/admin/dev/mailbox/{mail_id}"' in listing.text and "北京校友会 &lt;活动&gt; 报名" in listing.text
    mail = await client.get(f"/admin/dev/mailbox/{mail_id}")
    assert mail.status_code == 200
    assert '<a href="https://alumni.example.edu/e/42?a=1&amp;b=2"' in mail.text  # clickable, escaped
    assert "<script>alert(1)</script>" not in mail.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.text
    assert "bj_admin@tongchuang.local" in mail.text and "noreply@tongchuang.local" in mail.text  # headers
    assert (await client.get("/admin/dev/mailbox/999999")).status_code == 404


@pytest.mark.req("SUP-07")
async def test_mailbox_pages_newest_first(as_user, db):
    for n in range(22):
        await db.execute("INSERT INTO dev_mail (mail_from, rcpt, subject, body, raw, received_at) "
                         "VALUES ('a@x', 'b@x', $1, '', '', now() + make_interval(secs => $2))", f"邮件 {n:02d}", n)
    client = await as_user("admin")
    first = await client.get("/admin/dev/mailbox")
    assert first.text.index("邮件 21") < first.text.index("邮件 20") and "邮件 01" not in first.text
    assert "邮件 01" in (await client.get("/admin/dev/mailbox?page=2")).text


@pytest.mark.req("SUP-07")
async def test_only_superusers_and_only_in_dev(as_user, client, monkeypatch):
    hq = await as_user("hq")  # every permission, but not a superuser
    assert (await hq.get("/admin/dev/mailbox")).status_code == 403
    await post_form(hq, "/admin", "/logout", {})
    assert (await client.get("/admin/dev/mailbox")).status_code == 303  # anonymous: log in first
    production = dataclasses.replace(get_settings(), dev=False)
    monkeypatch.setattr(mailbox, "get_settings", lambda: production)
    admin = await as_user("admin")
    assert (await admin.get("/admin/dev/mailbox")).status_code == 404
    assert (await admin.get("/admin/dev/mailbox/1")).status_code == 404

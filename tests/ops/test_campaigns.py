"""Mass messaging (OPS-01): audiences (org, class, role, records query, uploaded list with refused rows), the
preview count equal to what is materialised, throttled and resumable sending (nobody twice after a crash),
unsubscribing through the signed link, scheduled campaigns waiting for their time, email through the real SMTP
sink, the delivery report and its export, the permission and the org admin's scope."""
from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.core import jobs, notify, sessions
from app.core.audit import SYSTEM, Actor
from app.core.security import hash_password
from app.ops import access, campaigns
from app.records import api as records_api
from tests.helpers import csrf_from, login, post_form
from tests.orgs.factories import add_member, make_org

pytestmark = pytest.mark.req("OPS-01")
PASSWORD = "Camp2026pass!"
_seq = itertools.count(1)


async def make_user(db, name: str, *, email: bool = True, phone: bool = True) -> int:
    n = next(_seq)
    return await db.fetchval(
        "INSERT INTO app_user (username, name, email, phone, kind, password_hash) VALUES ($1, $2, $3, $4, 'alumni', $5)"
        " RETURNING id", f"camp{n}_{datetime.now().microsecond}", name,
        f"camp{n}.{datetime.now().microsecond}@alumni.example.cn" if email else None,
        f"137{n:04d}{datetime.now().microsecond % 10000:04d}" if phone else None, hash_password(PASSWORD))


async def hq_actor(db) -> Actor:
    uid = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    return Actor.of((await sessions.state(uid, fresh=True)).user)


async def org_with_members(db, slug: str, names: list[str], **kw) -> tuple[int, list[int]]:
    org = await make_org(slug)
    users = []
    for name in names:
        uid = await make_user(db, name, **kw)
        await add_member(org, uid)
        users.append(uid)
    return org, users


async def campaign(actor: Actor, spec: dict, channels=("inbox",), *, throttle: int = 600, body: str = "",
                   scheduled_at: datetime | None = None, send: bool = True) -> int:
    campaign_id = await campaigns.create(actor, {
        "title": "返校日通知", "channels": list(channels), "subject": "{{ name }}，返校日见",
        "body": body or "亲爱的 {{ name }}：欢迎 10 月 1 日回母校。", "throttle": throttle,
        "scheduled_at": scheduled_at}, spec)
    if send:
        await campaigns.confirm(actor, campaign_id)
    return campaign_id


async def rows(db, campaign_id: int) -> list[dict]:
    return await db.fetch("SELECT * FROM ops_campaign_recipient WHERE campaign = $1 ORDER BY id", campaign_id)


async def test_audiences_by_org_class_and_role_preview_what_is_materialised(db):
    hq = await hq_actor(db)
    org, members = await org_with_members(db, "camp-org", ["甲一", "甲二", "甲三"])
    outsider = await make_user(db, "局外人")
    class_id = await db.fetchval("INSERT INTO classes_class (key, name, entry_year) VALUES ('camp:1', '群发一班', 2010)"
                                 " RETURNING id")
    classmates = [await make_user(db, "乙一"), await make_user(db, "乙二")]
    for uid in classmates:
        await db.execute("INSERT INTO classes_member (class_id, \"user\", source) VALUES ($1, $2, 'request')",
                         class_id, uid)
    role = await db.fetchval("INSERT INTO role (code, name) VALUES ('camp_role', '群发角色') RETURNING id")
    holders = [await make_user(db, "丙一"), await make_user(db, "丙二")]
    for uid in holders:
        await db.execute('INSERT INTO user_role ("user", role) VALUES ($1, $2)', uid, role)

    for spec, expected in (({"kind": "org", "org": org}, members), ({"kind": "class", "class": class_id}, classmates),
                           ({"kind": "role", "role": "camp_role"}, holders)):
        campaign_id = await campaign(hq, spec, ("inbox", "email"), send=False)
        shown = await campaigns.preview(hq, await campaigns.get(hq, campaign_id))
        assert shown["people"] == len(expected) and shown["messages"] == 2 * len(expected)
        assert len(shown["sample"]) == len(expected) and all("*" in s["name"] for s in shown["sample"])
        assert shown["rendered"][0]["body"].startswith("亲爱的 ")
        await campaigns.confirm(hq, campaign_id)
        await campaigns.run_tick(campaign_id=campaign_id)
        materialised = await rows(db, campaign_id)
        assert len(materialised) == shown["messages"]
        assert {r["user_id"] for r in materialised} == set(expected) and outsider not in expected
        assert {r["status"] for r in materialised} == {"sent"}
    inbox = await db.fetch('SELECT "user", title, body FROM inbox_message WHERE template_code = $1', campaigns.TEMPLATE)
    assert len(inbox) == 7 and {r["user"] for r in inbox} == set(members + classmates + holders)
    names = {r["id"]: r["name"] for r in await db.fetch("SELECT id, name FROM app_user")}
    assert all(r["title"] == f"{names[r['user']]}，返校日见" for r in inbox)


async def test_records_query_reaches_the_linked_accounts_of_matching_records(db):
    hq = await hq_actor(db)
    linked = [await make_user(db, f"记录{n}") for n in range(2)]
    for n, uid in enumerate(linked):
        person = await records_api.create_person(SYSTEM, {"name": f"群发校友{n}", "kind": "alumni"})
        await db.execute('UPDATE rec_person SET "user" = $2 WHERE id = $1', person, uid)
    await records_api.create_person(SYSTEM, {"name": "群发校友无号", "kind": "alumni"})  # no account: not reachable
    spec = campaigns.audience_spec("records", {"records_query": "/admin/records?q=群发校友&kind=alumni"})
    assert spec == {"kind": "records", "query": "q=群发校友&kind=alumni"}
    campaign_id = await campaign(hq, spec, send=False)
    assert (await campaigns.preview(hq, await campaigns.get(hq, campaign_id)))["people"] == 2
    await campaigns.confirm(hq, campaign_id)
    await campaigns.run_tick(campaign_id=campaign_id)
    assert sorted(r["user_id"] for r in await rows(db, campaign_id)) == sorted(linked)


async def test_uploaded_list_reports_refused_rows_and_sends_to_the_rest(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/ops/campaigns/new")
    assert page.status_code == 200
    csv = "联系方式\n13800138000\nfan@alumni.example.cn\n12345\nbad@\n138-0013-8000\n".encode()
    created = await client.post("/admin/ops/campaigns/new", data={
        "_csrf_token": csrf_from(page.text), "title": "名单群发", "channels": ["email", "sms"], "body": "您好",
        "audience": "upload", "throttle": "600"}, files={"upload": ("名单.csv", csv, "text/csv")})
    assert created.status_code == 303, created.text[:2000]
    preview_url = created.headers["location"]
    campaign_id = int(preview_url.split("/")[-2])
    preview = await client.get(preview_url)
    assert preview.status_code == 200
    assert 'id="people-count">2<' in preview.text and "138****8000" in preview.text
    assert "12345" in preview.text and "bad@" in preview.text and "Duplicate of an earlier row." in preview.text
    spec = (await campaigns.get(SYSTEM, campaign_id))["audience"]
    assert {r["row"] for r in spec["refused"]} == {4, 5, 6} and spec["refused_count"] == 3
    assert notify.channel_available("sms")
    sent = await post_form(client, preview_url, f"/admin/ops/campaigns/{campaign_id}/send", {})
    assert sent.status_code == 303
    await campaigns.run_tick(campaign_id=campaign_id)
    materialised = await rows(db, campaign_id)
    assert {(r["address"], r["channel"]) for r in materialised} == {("13800138000", "sms"),
                                                                    ("fan@alumni.example.cn", "email")}
    deliveries = await db.fetch("SELECT address, channel FROM delivery_log WHERE id = ANY($1::bigint[])",
                                [r["delivery_id"] for r in materialised])
    assert len(deliveries) == 2


async def test_throttle_sends_at_most_its_rate_per_minute(db):
    hq = await hq_actor(db)
    _org, members = await org_with_members(db, "camp-slow", [f"慢{n}" for n in range(5)])
    campaign_id = await campaign(hq, {"kind": "org", "org": _org}, throttle=2)
    now = datetime.now(UTC)
    sent = lambda: db.fetchval("SELECT count(*) FROM ops_campaign_recipient WHERE campaign = $1"  # noqa: E731
                               " AND status = 'sent'", campaign_id)
    assert (await campaigns.run_tick(now=now))["sent"] == 2 and await sent() == 2
    assert (await campaigns.run_tick(now=now + timedelta(seconds=20)))["sent"] == 0  # the same minute
    assert (await campaigns.run_tick(now=now + timedelta(seconds=61)))["sent"] == 2 and await sent() == 4
    row = await campaigns.get(hq, campaign_id)
    assert row["status"] == "sending" and row["sent"] == 4 and row["total"] == 5
    await campaigns.run_tick(now=now + timedelta(minutes=2, seconds=1))
    row = await campaigns.get(hq, campaign_id)
    assert row["status"] == "done" and row["sent"] == 5 and row["finished_at"] is not None


async def test_a_crash_half_way_resumes_without_sending_anybody_twice(db, monkeypatch):
    hq = await hq_actor(db)
    org, members = await org_with_members(db, "camp-crash", [f"断{n}" for n in range(5)])
    campaign_id = await campaign(hq, {"kind": "org", "org": org}, ("inbox", "email"))
    monkeypatch.setattr(campaigns, "BATCH", 3)
    real, calls = campaigns.deliver, []

    async def crashing(*args, **kw):
        calls.append(1)
        if len(calls) == 5:  # the second row of the second batch: its first delivery is rolled back with it
            raise RuntimeError("worker killed")
        return await real(*args, **kw)

    monkeypatch.setattr(campaigns, "deliver", crashing)
    with pytest.raises(RuntimeError):
        await campaigns.run_tick(campaign_id=campaign_id)
    assert [r["status"] for r in await rows(db, campaign_id)].count("sent") == 3
    assert await db.fetchval("SELECT count(*) FROM delivery_log WHERE template_code = $1", campaigns.TEMPLATE) == 3
    monkeypatch.setattr(campaigns, "deliver", real)
    await campaigns.run_tick(campaign_id=campaign_id)  # the resumed job (materialises nothing new)
    await campaigns.run_tick(campaign_id=campaign_id)
    materialised = await rows(db, campaign_id)
    assert len(materialised) == 10 and {r["status"] for r in materialised} == {"sent"}
    per_user = await db.fetch("SELECT user_id, channel, count(*) AS n FROM delivery_log WHERE template_code = $1"
                              " GROUP BY user_id, channel", campaigns.TEMPLATE)
    assert len(per_user) == 10 and {r["n"] for r in per_user} == {1}
    assert await db.fetchval('SELECT count(*) FROM inbox_message WHERE template_code = $1', campaigns.TEMPLATE) == 5
    assert (await campaigns.get(hq, campaign_id))["status"] == "done"


async def test_unsubscribe_link_is_honoured_by_later_campaigns(client, db):
    hq = await hq_actor(db)
    org, (first, second) = await org_with_members(db, "camp-unsub", ["退订者", "留下者"])
    campaign_id = await campaign(hq, {"kind": "org", "org": org}, ("email",))
    await campaigns.run_tick(campaign_id=campaign_id)
    delivery = await db.fetchval("SELECT delivery_id FROM ops_campaign_recipient WHERE campaign = $1 AND user_id = $2",
                                 campaign_id, first)
    payload = await db.fetchval("SELECT payload::text FROM job WHERE dedupe_key = $1", f"delivery:{delivery}")
    link = re.search(r"https?://[^\s\"\\]+/h5/unsubscribe/([A-Za-z0-9_.\-]+)", payload)
    assert link, payload
    url = f"/h5/unsubscribe/{link.group(1)}"
    page = await client.get(url)
    assert page.status_code == 200 and "***@alumni.example.cn" in page.text
    done = await client.post(url, data={"scope": "channel", "_csrf_token": csrf_from(page.text)})
    assert done.status_code == 200 and "unsubscribed" in done.text
    assert (await client.get(url[:-3] + "xyz")).status_code == 404  # an altered token

    later = await campaign(hq, {"kind": "org", "org": org}, ("email", "inbox"))
    await campaigns.run_tick(campaign_id=later)
    status = {(r["user_id"], r["channel"]): r["status"] for r in await rows(db, later)}
    assert status == {(first, "email"): "skipped_unsubscribed", (first, "inbox"): "sent",
                      (second, "email"): "sent", (second, "inbox"): "sent"}
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'unsubscribe'") == 1


async def test_a_scheduled_campaign_waits_for_its_time(db):
    hq = await hq_actor(db)
    org, _members = await org_with_members(db, "camp-later", ["晚一", "晚二"])
    at = datetime.now(UTC) + timedelta(hours=1)
    campaign_id = await campaign(hq, {"kind": "org", "org": org}, scheduled_at=at)
    await jobs.drain()
    assert (await campaigns.run_tick())["sent"] == 0
    assert await rows(db, campaign_id) == [] and (await campaigns.get(hq, campaign_id))["status"] == "scheduled"
    assert (await campaigns.run_tick(now=at + timedelta(seconds=1)))["sent"] == 2
    assert (await campaigns.get(hq, campaign_id))["status"] == "done"


async def test_email_reaches_the_smtp_sink_and_the_report_counts_it(as_user, db, smtp_sink):
    hq = await hq_actor(db)
    org, (with_mail, without_mail) = await org_with_members(db, "camp-mail", ["邮件甲", "无邮乙"])
    await db.execute("UPDATE app_user SET email = NULL WHERE id = $1", without_mail)
    address = await db.fetchval("SELECT email FROM app_user WHERE id = $1", with_mail)
    campaign_id = await campaign(hq, {"kind": "org", "org": org}, ("inbox", "email"))
    await jobs.drain()  # the tick queued by "send now", then the email job
    mail = await db.fetchrow("SELECT * FROM dev_mail WHERE rcpt LIKE $1", f"%{address}%")
    assert mail is not None and mail["subject"] == "邮件甲，返校日见"
    assert "亲爱的 邮件甲" in mail["body"] and "/h5/unsubscribe/" in mail["body"]
    report = {r["channel"]: r for r in await campaigns.report(campaign_id)}
    assert (report["email"]["total"], report["email"]["delivered"], report["email"]["no_address"]) == (2, 1, 1)
    assert (report["inbox"]["total"], report["inbox"]["delivered"]) == (2, 2)

    client = await as_user("admin")
    page = await client.get(f"/admin/ops/campaigns/{campaign_id}")
    assert page.status_code == 200 and 'id="campaign-status"' in page.text and "Delivery report" in page.text
    assert "邮*甲" in page.text or "邮件甲" in page.text
    skipped = await client.get(f"/admin/ops/campaigns/{campaign_id}?status=skipped_no_address",
                               headers={"hx-request": "true", "hx-target": "recipients"})
    assert skipped.status_code == 200 and "<html" not in skipped.text and skipped.text.count("<tr>") == 2
    export = await client.get(f"/admin/ops/campaigns/{campaign_id}/export")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    listing = await client.get("/admin/ops/campaigns?q=返校")
    assert listing.status_code == 200 and f"/admin/ops/campaigns/{campaign_id}" in listing.text


async def test_plain_alumni_are_refused_and_org_admins_reach_only_their_orgs(client, db):
    alumnus = await make_user(db, "普通校友")
    username = await db.fetchval("SELECT username FROM app_user WHERE id = $1", alumnus)
    await login(client, username, PASSWORD)
    for url in ("/admin/ops/campaigns", "/admin/ops/campaigns/new"):
        assert (await client.get(url)).status_code == 403

    mine, _m = await org_with_members(db, "camp-mine", ["本会甲"])
    other, _o = await org_with_members(db, "camp-other", ["他会甲"])
    node = await db.fetchval("SELECT node FROM orgs_org WHERE id = $1", mine)
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope, scope_org) VALUES ('camp_admin',"
                             " '分会群发', $1, 'subtree', $2) RETURNING id", ["ops.campaign.send", "orgs.org.manage"],
                             node)
    admin_id = await make_user(db, "分会管理员")
    await db.execute('INSERT INTO user_role ("user", role) VALUES ($1, $2)', admin_id, role)
    org_admin = Actor.of((await sessions.state(admin_id, fresh=True)).user)
    assert not campaigns.is_hq(org_admin)
    with pytest.raises(access.NotAllowed):
        await campaigns.create(org_admin, {"title": "越权", "channels": ["inbox"], "body": "x"},
                               {"kind": "org", "org": other})
    with pytest.raises(access.NotAllowed):
        await campaigns.create(org_admin, {"title": "越权", "channels": ["inbox"], "body": "x"},
                               {"kind": "role", "role": "hq_admin"})
    hq_campaign = await campaign(await hq_actor(db), {"kind": "org", "org": other}, send=False)

    await login(client, await db.fetchval("SELECT username FROM app_user WHERE id = $1", admin_id), PASSWORD)
    form = await client.get("/admin/ops/campaigns/new")
    assert form.status_code == 200 and "测试校友会camp-mine" in form.text and "测试校友会camp-other" not in form.text
    data = {"title": "分会通知", "channels": "inbox", "body": "您好", "audience": "org", "throttle": "100",
            "_csrf_token": csrf_from(form.text)}
    refused = await client.post("/admin/ops/campaigns/new", data={**data, "org": str(other)})
    assert refused.status_code == 422 and "Choose from the list." in refused.text  # not among their orgs
    assert not await db.fetchval("SELECT 1 FROM ops_campaign WHERE title = '分会通知'")
    ok = await client.post("/admin/ops/campaigns/new", data={**data, "org": str(mine)})
    assert ok.status_code == 303
    assert (await client.get(ok.headers["location"])).status_code == 200
    assert (await client.get(f"/admin/ops/campaigns/{hq_campaign}")).status_code == 403
    listing = await client.get("/admin/ops/campaigns")
    assert "分会通知" in listing.text and f"/admin/ops/campaigns/{hq_campaign}/preview" not in listing.text


async def test_invalid_form_keeps_what_was_typed_and_cancel_stops_sending(as_user, db):
    client = await as_user("admin")
    page = await client.get("/admin/ops/campaigns/new")
    bad = await client.post("/admin/ops/campaigns/new", data={
        "_csrf_token": csrf_from(page.text), "title": "缺少收件人", "channels": "inbox", "body": "{{ name",
        "audience": "org", "throttle": "600"})
    assert bad.status_code == 422 and "缺少收件人" in bad.text and "This field is required." in bad.text
    hq = await hq_actor(db)
    org, _members = await org_with_members(db, "camp-stop", [f"停{n}" for n in range(3)])
    campaign_id = await campaign(hq, {"kind": "org", "org": org}, throttle=1)
    await campaigns.run_tick(campaign_id=campaign_id)
    confirm = await client.get(f"/admin/ops/campaigns/{campaign_id}/cancel")
    assert confirm.status_code == 200
    done = await post_form(client, f"/admin/ops/campaigns/{campaign_id}/cancel",
                           f"/admin/ops/campaigns/{campaign_id}/cancel", {})
    assert done.status_code == 303
    await campaigns.run_tick(now=datetime.now(UTC) + timedelta(minutes=5), campaign_id=campaign_id)
    assert [r["status"] for r in await rows(db, campaign_id)] == ["sent", "queued", "queued"]
    assert (await campaigns.get(hq, campaign_id))["status"] == "cancelled"

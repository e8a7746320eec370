"""Sending rules (SMS-10, SMS-02, SMS-05): numbers validated and deduplicated, blacklist and sensitive
words refused with reasons, templates only after review, 1,000 numbers in one insert, resend of
failures, and the message service's sms channel going through the outbox."""
import pytest

from app.core import jobs
from app.core.audit import SYSTEM
from app.core.forms import Conflict, Invalid
from app.core.notify import notify
from app.sms import billing, checks, outbox, templates


async def hq(db) -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


@pytest.mark.req("SMS-10")
async def test_numbers_blacklist_and_sensitive_words_are_refused_with_reasons(db):
    account = await hq(db)
    await checks.add_blacklist("+86 139 0000 0001", "投诉退订")
    other = await db.fetchval("INSERT INTO sms_account (name) VALUES ('other') RETURNING id")
    await checks.add_blacklist("13900000002", "only for the other account", account_id=other)
    result = await outbox.send(account, text="Hello",
                               to=["13900000001", "13900000002", "1390000000x", "13900000002", "+1 4155550123"])
    assert result.accepted == 2
    assert result.rejected == [("1390000000x", "Not a valid mobile number"), ("13900000002", "Duplicate number"),
                               ("13900000001", "Blacklisted: 投诉退订")]
    phones = {r["phone"] for r in await db.fetch("SELECT phone FROM sms_message WHERE batch = $1", result.batch_id)}
    assert phones == {"13900000002", "14155550123"}

    with pytest.raises(Invalid, match="blocked word “发票”"):
        await outbox.send(account, to=["13900000003"], text="低价代开发票")
    await db.execute("INSERT INTO sms_sensitive_word (word, action) VALUES ('中奖', 'review')")
    with pytest.raises(Invalid, match="only allowed in an approved template"):
        await outbox.send(account, to=["13900000003"], text="恭喜中奖")
    with pytest.raises(outbox.SendRefused) as refused:
        await outbox.send(account, to=["13900000001"], text="Hi")
    assert refused.value.rejected == [("13900000001", "Blacklisted: 投诉退订")]
    with pytest.raises(Invalid, match="at most 500 characters"):
        await outbox.send(account, to=["13900000003"], text="x" * 501)


@pytest.mark.req("SMS-13")
async def test_thousand_numbers_are_one_insert_and_one_charge(db):
    account = await hq(db)
    before = await billing.balance(account)
    numbers = [f"138{i:08d}" for i in range(1000)]
    result = await outbox.send(account, to=numbers, text="同窗大学校友会通知")
    assert result.accepted == 1000 and result.cost == 1000
    assert await db.fetchval("SELECT count(*) FROM sms_message WHERE batch = $1 AND status = 'queued'",
                             result.batch_id) == 1000
    assert await billing.balance(account) == before - 1000
    charges = await db.fetch("SELECT amount, ref FROM sms_ledger WHERE account = $1 AND kind = 'charge'", account)
    assert [(c["amount"], c["ref"]) for c in charges] == [(-1000, f"batch:{result.batch_id}")]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'sms.send' AND entity_id = $1",
                             str(result.batch_id)) == 1


@pytest.mark.req("SMS-02")
async def test_template_review_workflow(db):
    account = await hq(db)
    tpl = await templates.create(account, name="返校日", kind="notice", sign="【同窗】",
                                 content="{name}您好，返校日{date}举行。", actor=SYSTEM)
    with pytest.raises(Invalid, match="not approved"):
        await outbox.send(account, to=["13800138000"], template_id=tpl, params={"name": "a", "date": "b"})
    await templates.submit_for_review(tpl, actor=SYSTEM)
    with pytest.raises(Conflict):
        await templates.update(tpl, name="x", kind="notice", content="y", actor=SYSTEM)
    with pytest.raises(Invalid, match="Say why"):
        await templates.review(tpl, False, "", SYSTEM)
    await templates.review(tpl, False, "签名不规范", SYSTEM)
    assert (await templates.get(tpl))["status"] == "rejected"
    await templates.submit_for_review(tpl, actor=SYSTEM)
    await templates.review(tpl, True, "", SYSTEM)
    assert await templates.render(tpl, {"name": "王五", "date": "5月20日"}) == "【同窗】王五您好，返校日5月20日举行。"
    with pytest.raises(Invalid, match=r"\{date\}"):
        await templates.render(tpl, {"name": "王五"})
    result = await outbox.send(account, to=["13800138000"], template_id=tpl, params={"name": "王五", "date": "周六"})
    assert result.accepted == 1
    await templates.update(tpl, name="返校日", kind="notice", content="{name}：返校日改期", actor=SYSTEM)
    assert (await templates.get(tpl))["status"] == "draft"  # edited → reviewed again
    actions = [r["action"] for r in await db.fetch("SELECT action FROM audit_log WHERE entity = 'sms_template'"
                                                   " AND entity_id = $1 ORDER BY id", str(tpl))]
    assert actions == ["sms.template.create", "sms.template.submit", "sms.template.rejected", "sms.template.submit",
                       "sms.template.approved", "sms.template.update"]


@pytest.mark.req("SMS-05")
async def test_resend_failed_messages_as_a_new_batch(db):
    account = await hq(db)
    first = await outbox.send(account, to=["13800138000", "13800138001", "13800138002"], text="retry me")
    await db.execute("UPDATE sms_message SET status = 'failed', reason = 'UNDELIV' WHERE batch = $1"
                     " AND phone <> '13800138002'", first.batch_id)
    ids = [r["id"] for r in await db.fetch("SELECT id FROM sms_message WHERE batch = $1 ORDER BY phone",
                                           first.batch_id)]
    again = await outbox.resend(ids, user_id=None)
    assert again.accepted == 2 and again.batch_id != first.batch_id
    rows = await db.fetch("SELECT phone, text, status FROM sms_message WHERE batch = $1 ORDER BY phone",
                          again.batch_id)
    assert [(r["phone"], r["text"], r["status"]) for r in rows] == [("13800138000", "retry me", "queued"),
                                                                     ("13800138001", "retry me", "queued")]
    assert await db.fetchval("SELECT source FROM sms_batch WHERE id = $1", again.batch_id) == "resend"
    with pytest.raises(Invalid, match="None of the chosen messages has failed"):
        await outbox.resend([ids[2]], user_id=None)


@pytest.mark.req("SMS-10")
async def test_message_service_sms_channel_goes_through_the_outbox(db):
    user = await db.fetchrow("SELECT id FROM app_user WHERE username = 'hq'")
    await db.execute("UPDATE app_user SET phone = '13812345678' WHERE id = $1", user["id"])
    await db.execute("INSERT INTO message_template (code, channel, subject, body) VALUES"
                     " ('sms.test', 'sms', '', '【同窗】{{ name }}，您的活动报名已确认') ON CONFLICT DO NOTHING")
    assert await notify([user["id"]], "sms.test", {"name": "张三"}, channels=("sms",)) == 1
    await jobs.drain()
    row = await db.fetchrow("SELECT m.phone, m.text, b.source, a.is_system FROM sms_message m"
                            " JOIN sms_batch b ON b.id = m.batch JOIN sms_account a ON a.id = m.account"
                            " WHERE b.source = 'notify'")  # the demo data holds API examples
    assert row == {"phone": "13812345678", "text": "【同窗】张三，您的活动报名已确认", "source": "notify",
                   "is_system": True}
    assert await db.fetchval("SELECT status FROM delivery_log WHERE channel = 'sms'") == "sent"

"""What happens to messages whose fate the SMSC never tells (SMS-10), ids and words of receipts from other
SMSCs (SMS-11), senders a channel cannot send (SMS-01), and batches reaching `done` (SMS-05)."""
import pytest

from app.adapters.sms_channels import make_channel
from app.adapters.sms_channels import pdu as P
from app.adapters.sms_channels.base import Receipt, canonical_id, receipt_state
from app.adapters.sms_channels.smpp_client import receipt_from_pdu
from app.core import jobs, settings_store
from app.core.forms import Invalid
from app.sms import billing, outbox
from app.sms.dispatch_store import Store
from app.sms.dispatcher import maybe_accepted
from tests.sms.conftest import statuses

API = "/api/sms/v1"


async def hq(db) -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


async def _submitted(db, channel: int, phones: list[str], hours_ago: float, ids=None) -> tuple[int, list[int]]:
    """A batch whose messages were submitted `hours_ago` (segment ids X-<n> unless `ids` says otherwise)."""
    result = await outbox.send(await hq(db), to=phones, text="window")
    rows = await db.fetch("SELECT id FROM sms_message WHERE batch = $1 ORDER BY id", result.batch_id)
    store = Store()
    for r in rows:
        await db.execute("UPDATE sms_message SET status = 'submitting', attempt = 1 WHERE id = $1", r["id"])
        store.pending.submitted.append((r["id"], channel, [f"X-{r['id']}"] if ids is None else ids))
    await store.flush()
    await db.execute("UPDATE sms_message SET submitted_at = now() - make_interval(secs => $2) WHERE batch = $1",
                     result.batch_id, hours_ago * 3600)
    return result.batch_id, [r["id"] for r in rows]


@pytest.mark.req("SMS-10")
async def test_scheduled_job_resolves_messages_without_receipt_after_the_window(db, sim, channel):
    from app.sms import jobs as sms_jobs

    assert jobs.SCHEDULES["sms.unconfirmed"][0] == sms_jobs.UNCONFIRMED_KIND
    assert sms_jobs.UNCONFIRMED_KIND in jobs.HANDLERS
    account = await hq(db)
    before = await billing.balance(account)
    old, old_ids = await _submitted(db, channel, ["13800138100", "13800138101"], hours_ago=5)
    fresh, _ = await _submitted(db, channel, ["13800138102"], hours_ago=1)
    await settings_store.put("sms.receipt_window_hours", 4)
    try:
        ctx = jobs.JobContext(0, sms_jobs.UNCONFIRMED_KIND, {}, 1, "test")
        assert await sms_jobs.resolve_unconfirmed(ctx) == {"unknown": 2}
        assert await sms_jobs.resolve_unconfirmed(ctx) == {"unknown": 0}  # idempotent
    finally:
        await db.execute("DELETE FROM site_setting WHERE key = 'sms.receipt_window_hours'")
        settings_store.invalidate()
    assert await statuses(db, old) == {"unknown": 2} and await statuses(db, fresh) == {"submitted": 1}
    rows = await db.fetch("SELECT * FROM sms_message WHERE batch = $1", old)
    assert all(r["receipt_status"] == "UNKNOWN" and r["report_seq"] and r["done_at"] for r in rows)
    assert all("no delivery receipt within 4 h" in r["reason"] for r in rows)
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", old) == "done"
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", fresh) == "queued"
    assert await billing.balance(account) == before - 3  # not refunded: the SMSC may have delivered them
    # a receipt that turns up after all still tells the truth
    store = Store()
    store.add_receipt(channel, Receipt(f"X-{old_ids[0]}", "DELIVRD"))
    await store.flush()
    assert await statuses(db, old) == {"unknown": 1, "delivered": 1}


@pytest.mark.req("SMS-05")
async def test_batch_is_done_when_every_message_is_final(db, channel):
    batch, ids = await _submitted(db, channel, ["13800138200", "13800138201"], hours_ago=0)
    store = Store()
    store.add_receipt(channel, Receipt(f"X-{ids[0]}", "DELIVRD"))
    await store.flush()
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", batch) == "queued"  # one still waits
    store.add_receipt(channel, Receipt(f"X-{ids[1]}", "UNDELIV"))
    await store.flush()
    assert await statuses(db, batch) == {"delivered": 1, "failed": 1}
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", batch) == "done"


@pytest.mark.req("SMS-10")
def test_only_an_smsc_error_proves_the_previous_attempt_did_not_arrive():
    assert not maybe_accepted("ESME_RTHROTTLED") and not maybe_accepted("not bound")
    for reason in ("timeout", "connection lost", "in doubt: interrupted", "lookup: not bound",
                   "ESME_RTHROTTLED (2/3 segments accepted)", ""):
        assert maybe_accepted(reason), reason


@pytest.mark.req("SMS-11")
def test_receipt_ids_and_words_are_normalised():
    assert canonical_id("1A2B") == canonical_id("6699") == canonical_id("0006699") == "6699"
    assert canonical_id("00001a2b", "hex") == "6699" and canonical_id(" AbC-9 ") == "abc-9"
    assert [receipt_state(w) for w in ("DELIVERED", "delivrd", "Undeliverable", "REJECTED", "expired", "2", "??")] \
        == ["DELIVRD", "DELIVRD", "UNDELIV", "REJECTD", "EXPIRED", "DELIVRD", "UNKNOWN"]
    text = b"id:0000006699 sub:001 dlvrd:001 submit date:2601010000 done date:2601010001 stat:DELIVERED err:000"
    assert receipt_from_pdu(P.Pdu(P.DELIVER_SM, esm_class=4, short_message=text)).status == "DELIVRD"
    # hex ids made of digits only: configured, or learned once one id had a letter
    ch = make_channel("c", "smpp", {"msg_id_format": "hex/dec"})
    assert ch.canonical("00001234", "submit") == ch.canonical("4660", "receipt") == "4660"
    auto = make_channel("a", "smpp", {})
    assert auto.canonical("00000A01", "submit") == "2561"
    assert auto.canonical("00001234", "submit") == "4660" and auto.canonical("4660", "receipt") == "4660"


@pytest.mark.req("SMS-01")
async def test_sender_a_channel_cannot_send_is_refused_when_accepted(db, client, channel):
    from app.sms import apikeys

    outbox._channels = (0.0, [])  # the enabled channels changed in this test
    account = await hq(db)
    with pytest.raises(Invalid) as refused:
        await outbox.send(account, to=["13800138300"], text="hi", sender="同窗")
    assert refused.value.field == "sender" and "同窗" in refused.value.message
    with pytest.raises(Invalid):
        await outbox.send(account, to=["13800138300"], text="hi", sender="1" * 21)
    assert await db.fetchval("SELECT count(*) FROM sms_message WHERE phone = '13800138300'") == 0
    assert make_channel("c", "smpp", {}).validate_sender("TONGCHUANG 2026") is None

    _row, raw = await apikeys.create_key(account, "crm", ["send"], 100)
    sent = await client.post(f"{API}/messages", headers={"Authorization": f"Bearer {raw}"},
                             json={"to": "13800138300", "text": "hi", "sender": "同窗"})
    assert sent.status_code == 422 and sent.json()["field"] == "sender" and "同窗" in sent.json()["message"]
    ok = await client.post(f"{API}/messages", headers={"Authorization": f"Bearer {raw}"},
                           json={"to": "13800138300", "text": "hi", "sender": "10690"})
    assert ok.status_code == 202


@pytest.mark.req("SMS-10")
async def test_submit_with_an_unsendable_sender_fails_at_once_with_a_clear_reason(sim):
    """A message accepted before the check existed fails once, with a reason, instead of crashing 8 times."""
    from app.adapters.sms_channels import OutboundSms

    ch = make_channel("c", "smpp", {"port": sim.port, "system_id": "tc", "password": "secret"})
    await ch.start()
    try:
        assert await ch.wait_bound()
        res = await ch.submit(OutboundSms("m-s1", "13800138000", "hi", sender="同窗"))
        assert (res.ok, res.retryable) == (False, False) and res.error.startswith("ESME_RINVSRCADR")
        assert sim.stats().get("submit_sm", 0) == 0
    finally:
        await ch.stop()

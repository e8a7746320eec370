"""Our SMPP client against a third-party SMSC (the `smpp34` package's server, tests/sms/smpp34_smsc.py), not
only our simulator (SMS-10, SMS-11): submit, a receipt whose id is decimal where submit_sm_resp gave hex and
whose status word is DELIVERED, and the crash-recovery path: the SMSC answers query_sm by ref with
ESME_RQUERYFAIL, which proves nothing, so the message is held and resolved, never sent twice."""
import pytest

from app.adapters.sms_channels import LookupInconclusive, OutboundSms, make_channel
from app.sms import dispatch_store, outbox
from app.sms.dispatcher import Dispatcher
from tests.sms.conftest import add_channel, statuses, wait_for
from tests.sms.smpp34_smsc import ThirdPartySmsc


async def hq(db) -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


@pytest.fixture
async def smsc():
    server = await ThirdPartySmsc().start()
    yield server
    await server.stop()


def _client(port: int):
    return make_channel("direct", "smpp", {"host": "127.0.0.1", "port": port, "system_id": "tc",
                                           "password": "secret", "timeout_s": 3})


@pytest.mark.req("SMS-11")
async def test_submit_and_hex_decimal_receipt_through_the_dispatcher(db, smsc):
    await db.execute("DELETE FROM sms_channel")
    await add_channel(db, "smpp34", smsc.port)
    d = Dispatcher(reload_s=0.3, idle_s=0.1)
    await d.start()
    try:
        result = await outbox.send(await hq(db), to=["13800138000", "13800138001"], text="Hello from smpp34",
                                   sender="10690")
        await wait_for(lambda: _is(db, result.batch_id, {"delivered": 2}), timeout=10)
    finally:
        await d.stop()
    rows = await db.fetch("SELECT * FROM sms_message WHERE batch = $1 ORDER BY id", result.batch_id)
    assert sorted(smsc.refs()) == sorted(f"m{r['id']}" for r in rows)  # each once
    by_ref = {s["ref"]: s["id"] for s in smsc.submits}
    for r in rows:  # stored in the canonical (decimal) form the receipts matched
        assert r["channel_ids"] == [str(int(by_ref[f"m{r['id']}"], 16))] and r["receipt_status"] == "DELIVRD"
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", result.batch_id) == "done"


@pytest.mark.req("SMS-11")
async def test_lookup_on_a_standard_smsc_is_inconclusive_not_absent(smsc):
    client = _client(smsc.port)
    await client.start()
    try:
        assert await client.wait_bound()
        assert (await client.submit(OutboundSms("m-x1", "13800138000", "hi"))).ok
        with pytest.raises(LookupInconclusive):  # ESME_RQUERYFAIL: it does hold m-x1
            await client.lookup("m-x1")
    finally:
        await client.stop()


@pytest.mark.req("SMS-10")
async def test_crash_recovery_sends_no_duplicate_when_query_sm_fails(db, smsc):
    await db.execute("DELETE FROM sms_channel")
    channel = await add_channel(db, "smpp34", smsc.port)
    result = await outbox.send(await hq(db), to=["13500135000"], text="Crash test")
    message_id = await db.fetchval("SELECT id FROM sms_message WHERE batch = $1", result.batch_id)
    # a dispatcher claimed it, submitted it (the SMSC accepted it) and died before writing the response
    await db.execute("UPDATE sms_message SET status = 'submitting', attempt = 1, channel = $2, submitting_at = now()"
                     " WHERE id = $1", message_id, channel)
    smsc.receipts = False  # its receipt would go to the dead session
    client = _client(smsc.port)
    await client.start()
    assert await client.wait_bound()
    assert (await client.submit(OutboundSms(f"m{message_id}", "13500135000", "Crash test"))).ok
    await client.stop()

    d = Dispatcher(reload_s=0.3, idle_s=0.1)
    await d.start()
    try:
        row = await wait_for(lambda: db.fetchrow("SELECT * FROM sms_message WHERE id = $1 AND status = 'submitted'",
                                                 message_id), timeout=10)
        await d.flush()
    finally:
        await d.stop()
    assert smsc.refs() == [f"m{message_id}"]  # asked, not resent
    assert row["attempt"] == 2 and row["channel_ids"] == [] and row["reason"].startswith("unconfirmed:")
    # after the receipt window it is resolved by the documented policy: unknown, reported, not refunded
    assert await dispatch_store.resolve_unconfirmed(0) == {"unknown": 1}
    done = await db.fetchrow("SELECT * FROM sms_message WHERE id = $1", message_id)
    assert done["status"] == "unknown" and done["report_seq"] and not done["refunded"]
    assert await db.fetchval("SELECT status FROM sms_batch WHERE id = $1", result.batch_id) == "done"
    assert smsc.refs() == [f"m{message_id}"]


async def _is(db, batch_id, expected):
    return await statuses(db, batch_id) == expected

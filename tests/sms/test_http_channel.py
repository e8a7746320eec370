"""SMS-11: the HTTP-provider channel against the simulator's provider stub (real HTTP on 127.0.0.1)."""
import httpx
import pytest

from app.adapters.sms_channels import ChannelUnavailable, OutboundSms, make_channel
from app.adapters.sms_channels.control_http import start_control
from app.adapters.sms_channels.simulator import start_simulator
from tests.sms.channel_helpers import collect, until

pytestmark = pytest.mark.req("SMS-11")


@pytest.fixture
async def stub(tmp_path):
    sim = await start_simulator(log_path=str(tmp_path / "smsc.log"))
    control = await start_control(sim, token="t0k")
    yield sim, control
    await control.stop()
    await sim.stop()


@pytest.fixture
async def ch(stub):
    _, control = stub
    c = collect(make_channel("prov", "http", {"base_url": f"http://127.0.0.1:{control.port}/provider",
                                              "token": "t0k", "poll_s": 0.05, "timeout_s": 2}))
    await c.start()
    yield c
    await c.stop()


async def test_send_receipt_and_witness_log(stub, ch, tmp_path):
    sim, _ = stub
    res = await ch.submit(OutboundSms("h1", "13800138000", "你好" * 40, sender="10690"))  # 80 chars → 2 parts
    assert res.ok and len(res.channel_ids) == 2
    await until(lambda: len(ch.receipts) == 2)
    assert [r.channel_id for r in ch.receipts] == res.channel_ids and ch.receipts[0].status == "DELIVRD"
    assert ch.healthy and ch.cursors["receipts"] == 2
    lines = [ln.split("\t") for ln in (tmp_path / "smsc.log").read_text().splitlines()]
    assert [(ln[1], ln[2], ln[4]) for ln in lines] == [("h1", "1/2", "http"), ("h1", "2/2", "http")]


async def test_idempotency_key_and_lookup(stub, ch):
    sim, _ = stub
    first = await ch.submit(OutboundSms("h2", "13800138000", "once"))
    again = await ch.submit(OutboundSms("h2", "13800138000", "once"))
    assert first.ok and again.channel_ids == first.channel_ids
    assert sim.stats()["http_replays"] == 1 and sim.stats()["accepted"] == 1
    assert await ch.lookup("h2") == first.channel_ids
    assert await ch.lookup("nope") is None


async def test_mo_is_polled(stub, ch):
    sim, control = stub
    async with httpx.AsyncClient() as http:  # inject through the control port, as the CLI users do
        r = await http.post(f"http://127.0.0.1:{control.port}/mo",
                            json={"sender": "13900002222", "to": "10690", "text": "TD", "system_id": "http"})
    assert r.json() == {"segments": 1}
    await until(lambda: ch.mos)
    assert (ch.mos[0].sender, ch.mos[0].text) == ("13900002222", "TD")


async def test_error_mapping(stub, ch):
    sim, _ = stub
    bad = await ch.submit(OutboundSms("h3", "abc", "x"))
    assert (bad.ok, bad.error, bad.retryable) == (False, "ESME_RINVDSTADR", False)
    sim.fail_rate = 1.0
    busy = await ch.submit(OutboundSms("h4", "13800138000", "x"))
    assert (busy.ok, busy.error, busy.retryable) == (False, "ESME_RTHROTTLED", True)


async def test_wrong_token_and_provider_down(stub):
    sim, control = stub
    c = make_channel("p2", "http", {"base_url": f"http://127.0.0.1:{control.port}/provider", "token": "bad",
                                    "timeout_s": 1})
    await c.start()
    res = await c.submit(OutboundSms("h5", "13800138000", "x"))
    assert not res.ok and res.error == "unauthorized" and not res.retryable
    await c.stop()
    await control.stop()
    c = make_channel("p3", "http", {"base_url": f"http://127.0.0.1:{control.port}/provider", "timeout_s": 1})
    await c.start()
    down = await c.submit(OutboundSms("h6", "13800138000", "x"))
    assert (down.ok, down.error, down.retryable) == (False, "connection lost", True)
    with pytest.raises(ChannelUnavailable):
        await c.lookup("h6")
    assert not c.healthy
    await c.stop()


async def test_control_stats(stub):
    sim, control = stub
    async with httpx.AsyncClient() as http:
        r = await http.get(f"http://127.0.0.1:{control.port}/stats")
    assert r.status_code == 200 and r.json()["sessions"] == 0

"""SMS-11 (and SMS-04 on the wire): the SMPP channel against the local SMSC simulator, real sockets."""
import asyncio
import time

import pytest

from app.adapters.sms_channels import ChannelUnavailable, OutboundSms, make_channel
from app.adapters.sms_channels import pdu as P
from app.adapters.sms_channels.simulator import start_simulator
from tests.sms.channel_helpers import collect, until

pytestmark = pytest.mark.req("SMS-11")


def _channel(port, **extra):
    cfg = {"port": port, "system_id": "tc", "password": "secret", "timeout_s": 2, "reconnect_min_s": 0.05,
           "reconnect_max_s": 0.2, **extra}
    return collect(make_channel("sim", "smpp", cfg))


@pytest.fixture
async def sim(tmp_path):
    s = await start_simulator(log_path=str(tmp_path / "smsc.log"))
    yield s
    await s.stop()


@pytest.fixture
async def ch(sim):
    c = _channel(sim.port)
    await c.start()
    assert await c.wait_bound()
    yield c
    await c.stop()


async def test_bind_and_submit_with_receipt(sim, ch):
    assert ch.healthy and sim.stats()["binds"] == 1
    res = await ch.submit(OutboundSms("m1", "13800138000", "Hello", sender="10690"))
    assert res.ok and len(res.channel_ids) == 1 and res.error == ""
    await until(lambda: ch.receipts)
    r = ch.receipts[0]
    assert (r.channel_id, r.status, r.error) == (res.channel_ids[0], "DELIVRD", "")
    assert r.done_at is not None


async def test_wrong_password_never_binds(sim):
    c = _channel(sim.port, password="nope")
    await c.start()
    assert not await c.wait_bound(0.5)
    assert not c.healthy and "ESME_RINVPASWD" in c.last_error
    res = await c.submit(OutboundSms("m1", "13800138000", "x"))
    assert (res.ok, res.error, res.retryable) == (False, "not bound", True)
    await c.stop()


@pytest.mark.req("SMS-04")
async def test_long_message_is_concatenated_with_udh(sim, ch, tmp_path):
    seen = []
    original = sim._submit
    sim._submit = lambda s, pdu: (seen.append(pdu), original(s, pdu))
    text = "同窗会通知：" + "校友返校日活动安排" * 33  # 303 characters → 5 UCS-2 segments
    res = await ch.submit(OutboundSms("m-long", "8613800138000", text))
    assert res.ok and len(res.channel_ids) == 5
    assert len(seen) == 5
    parts = {}
    for pdu in seen:
        assert pdu.get("esm_class") & P.ESM_UDHI and pdu.get("data_coding") == 8
        assert pdu.tlvs[P.TLV_TC_REF] == "m-long"
        (ref, total, seq), payload = P.parse_udh(pdu.get("short_message"))
        assert total == 5 and len(payload) <= 134
        parts[seq] = payload
    assert len({P.parse_udh(p.get("short_message"))[0][0] for p in seen}) == 1  # one concat reference
    assert b"".join(parts[i] for i in range(1, 6)).decode("utf-16-be") == text
    lines = (tmp_path / "smsc.log").read_text().splitlines()
    fields = [ln.split("\t") for ln in lines]
    assert sorted(f[2] for f in fields) == [f"{i}/5" for i in range(1, 6)]
    assert {f[1] for f in fields} == {"m-long"} and {f[3] for f in fields} == {"8613800138000"}
    assert [f[0] for f in sorted(fields, key=lambda f: f[2])] == res.channel_ids
    await until(lambda: len(ch.receipts) == 5)


async def test_mo_long_message_is_reassembled(sim, ch):
    text = "回复TD退订，" * 20  # 140 characters → 3 segments
    assert await sim.inject_mo("13900001111", "106900", text) == 3
    await until(lambda: ch.mos)
    mo = ch.mos[0]
    assert (mo.sender, mo.to, mo.text) == ("13900001111", "106900", text)
    assert len(ch.mos) == 1


async def test_receipts_queue_while_no_receiver_is_bound(sim):
    tx = _channel(sim.port, bind="transmitter")
    await tx.start()
    assert await tx.wait_bound()
    res = await tx.submit(OutboundSms("q1", "13800138000", "hi"))
    assert res.ok
    await until(lambda: sim.stats()["queued"] == 1)
    rx = _channel(sim.port, bind="receiver")
    await rx.start()
    await until(lambda: rx.receipts)
    assert rx.receipts[0].channel_id == res.channel_ids[0] and sim.stats()["queued"] == 0
    await tx.stop()
    await rx.stop()


async def test_failing_receipt_callback_gets_redelivered(sim, ch):
    calls = []

    async def flaky(r):
        calls.append(r)
        if len(calls) == 1:
            raise RuntimeError("database down")

    ch.on_receipt = flaky
    await ch.submit(OutboundSms("r1", "13800138000", "hi"))
    await until(lambda: len(calls) == 2, timeout=4)
    assert sim.stats()["deliver_retries"] == 1 and calls[0].channel_id == calls[1].channel_id


async def test_errors_map_to_retryable_or_not(sim, ch):
    bad = await ch.submit(OutboundSms("e1", "not-a-number", "hi"))
    assert (bad.ok, bad.error, bad.retryable) == (False, "ESME_RINVDSTADR", False)
    sim.fail_rate = 1.0
    throttled = await ch.submit(OutboundSms("e2", "13800138000", "hi"))
    assert (throttled.ok, throttled.error, throttled.retryable) == (False, "ESME_RTHROTTLED", True)
    too_long = await ch.submit(OutboundSms("e3", "13800138000", "x" * 501))
    assert not too_long.ok and not too_long.retryable and too_long.error.startswith("ESME_RINVMSGLEN")


async def test_client_side_throttle(sim):
    c = _channel(sim.port, max_tps=50)
    await c.start()
    assert await c.wait_bound()
    t0 = time.monotonic()
    results = await asyncio.gather(*(c.submit(OutboundSms(f"t{i}", "13800138000", "x")) for i in range(21)))
    assert all(r.ok for r in results)
    assert time.monotonic() - t0 >= 0.35  # 20 gaps of 20 ms
    await c.stop()


async def test_enquire_link_and_dead_link_reconnect(sim):
    c = _channel(sim.port, enquire_link_s=0.05, timeout_s=0.2)
    await c.start()
    assert await c.wait_bound()
    await until(lambda: sim.stats().get("enquire_link", 0) >= 2)
    sim.silent = True  # socket stays open, nothing answers
    await until(lambda: not c.healthy, timeout=3)
    sim.silent = False
    await until(lambda: c.healthy, timeout=3)
    assert c.stats["reconnects"] >= 1 and c.stats["binds"] >= 2
    await c.stop()


async def test_timeout_is_retryable_and_lookup_tells_the_truth(sim, ch):
    sim.latency = 1.0  # accepted and logged at once, answered too late
    ch.timeout = 0.2
    res = await ch.submit(OutboundSms("slow1", "13800138000", "hi"))
    assert (res.ok, res.error, res.retryable) == (False, "timeout", True)
    sim.latency = 0
    await asyncio.sleep(1.0)  # the late response arrives on a forgotten sequence number: ignored
    ch.timeout = 2
    ids = await ch.lookup("slow1")
    assert ids and len(ids) == 1  # the SMSC did accept it: the caller must not resubmit
    assert await ch.lookup("never-sent") is None


async def test_reconnect_after_simulator_restart_keeps_refs(tmp_path):
    log = str(tmp_path / "w.log")
    sim = await start_simulator(log_path=log)
    port = sim.port
    c = _channel(port)
    await c.start()
    assert await c.wait_bound()
    first = await c.submit(OutboundSms("keep1", "13800138000", "before restart"))
    assert first.ok
    await sim.stop()
    await until(lambda: not c.healthy)
    down = await c.submit(OutboundSms("x", "13800138000", "while down"))
    assert (down.ok, down.retryable) == (False, True)
    with pytest.raises(ChannelUnavailable):
        await c.lookup("keep1")
    sim2 = await start_simulator(port=port, log_path=log)
    await until(lambda: c.healthy, timeout=5)
    assert await c.lookup("keep1") == first.channel_ids  # reloaded from the witness log
    second = await c.submit(OutboundSms("keep2", "13800138000", "after restart"))
    assert second.ok and second.channel_ids != first.channel_ids
    await c.stop()
    await sim2.stop()


async def test_witness_log_never_dedupes(sim, ch, tmp_path):
    for _ in range(2):
        assert (await ch.submit(OutboundSms("dup1", "13800138000", "twice"))).ok
    lines = [ln.split("\t") for ln in (tmp_path / "smsc.log").read_text().splitlines()]
    assert [ln[1] for ln in lines] == ["dup1", "dup1"]
    assert all(ln[2] == "1/1" and ln[4] == "tc" and "T" in ln[5] for ln in lines)
    assert sim.stats()["duplicate_segments"] == 1
    assert len(await ch.lookup("dup1")) == 2


async def test_throughput_on_loopback(sim, ch):
    n = 3000
    t0 = time.perf_counter()
    results = await asyncio.gather(*(ch.submit(OutboundSms(f"b{i}", "13800138000", "load test", want_receipt=False))
                                     for i in range(n)))
    rate = n / (time.perf_counter() - t0)
    print(f"\nSMPP submit throughput (client + simulator in one process): {rate:.0f}/s")
    assert all(r.ok for r in results)
    assert rate > 1500  # one shared event loop on a busy 2-core box; the bench script shows the real figure


async def test_builtin_simulator_channel(tmp_path):
    c = collect(make_channel("builtin", "simulator", {"receipt_delay_ms": 10, "log_path": str(tmp_path / "b.log"),
                                                       "window": 8}))
    got = c.receipts
    await c.start()
    assert await c.wait_bound() and c.healthy and c.window == 8
    res = await c.submit(OutboundSms("s1", "13800138000", "hi"))
    assert res.ok
    await until(lambda: got)
    assert got[0].channel_id == res.channel_ids[0]
    await c.stop()
    assert c.simulator is None and not c.healthy


async def test_without_ref_tlv_lookup_is_unavailable(sim):
    c = _channel(sim.port, ref_tlv=False)
    await c.start()
    assert await c.wait_bound()
    assert (await c.submit(OutboundSms("n1", "13800138000", "x"))).ok
    assert sim.lookup("n1") is None  # nothing carried the ref
    with pytest.raises(ChannelUnavailable):
        await c.lookup("n1")
    await c.stop()

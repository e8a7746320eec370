"""The SMSC simulator behaves like a real SMSC where our client's robustness depends on it (SMS-11):
registered_delivery = 2 (failure receipts only), generic_nack with the bad PDU's sequence number, and the
SMPP session timers (session_init_timer, inactivity_timer; enquire_link keeps a session alive)."""
import asyncio
import struct

import pytest

from app.adapters.sms_channels import pdu as P
from app.adapters.sms_channels.simulator import start_simulator
from tests.sms.channel_helpers import until

pytestmark = pytest.mark.req("SMS-11")


class Raw:
    """A bare TCP peer speaking PDUs, to send what our client never would."""

    def __init__(self, reader, writer):
        self.reader, self.writer, self.seq = reader, writer, 100

    @classmethod
    async def connect(cls, port):
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    def send(self, pdu: P.Pdu) -> int:
        self.seq += 1
        pdu.seq = self.seq
        self.writer.write(pdu.encode())
        return self.seq

    def send_bytes(self, data: bytes) -> None:
        self.writer.write(data)

    async def read(self, timeout=2.0) -> P.Pdu | None:
        """The next PDU, or None when the SMSC closed the connection."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(4), timeout)
        except asyncio.IncompleteReadError:
            return None
        n = int.from_bytes(head, "big")
        return P.decode(head + await asyncio.wait_for(self.reader.readexactly(n - 4), timeout))

    async def bind(self) -> None:
        self.send(P.Pdu(P.BIND_TRANSCEIVER, system_id="tc", password="secret", interface_version=0x34))
        assert (await self.read()).status == P.ROK

    async def closed(self, timeout=3.0) -> bool:
        """Wait for the SMSC to close (answering an unbind on the way)."""
        while True:
            pdu = await self.read(timeout)
            if pdu is None:
                return True
            if pdu.command_id == P.UNBIND:
                self.writer.write(P.response(pdu).encode())

    def close(self) -> None:
        self.writer.close()


def _submit(to: str, registered_delivery: int) -> P.Pdu:
    return P.Pdu(P.SUBMIT_SM, source_addr="10690", dest_addr_ton=1, dest_addr_npi=1, destination_addr=to,
                 registered_delivery=registered_delivery, short_message=b"hi")


async def _receipts(peer: Raw, want: int, timeout=1.5) -> list[P.Pdu]:
    got = []
    try:
        while len(got) < want + 1:
            pdu = await peer.read(timeout)
            if pdu is None:
                break
            if pdu.command_id == P.DELIVER_SM:
                peer.writer.write(P.response(pdu, message_id="").encode())
                got.append(pdu)
    except TimeoutError:
        pass
    return got


async def test_registered_delivery_2_sends_failure_receipts_only():
    for fail_rate, expected in ((0.0, 0), (1.0, 1)):
        sim = await start_simulator(receipt_fail_rate=fail_rate)
        peer = await Raw.connect(sim.port)
        try:
            await peer.bind()
            peer.send(_submit("13800138000", 2))
            assert (await peer.read()).status == P.ROK
            receipts = await _receipts(peer, expected)
            assert len(receipts) == expected
            if expected:
                assert b"stat:UNDELIV" in receipts[0].get("short_message")
            else:
                assert sim.stats()["receipts_suppressed"] == 1
        finally:
            peer.close()
            await sim.stop()


async def test_bad_pdu_gets_generic_nack_with_its_sequence_number():
    sim = await start_simulator()
    peer = await Raw.connect(sim.port)
    try:
        await peer.bind()
        # a submit_sm whose service_type C-string never ends
        body = b"CMT" * 5
        peer.send_bytes(struct.pack(">IIII", 16 + len(body), P.SUBMIT_SM, 0, 4242) + body)
        nack = await peer.read()
        assert (nack.command_id, nack.seq) == (P.GENERIC_NACK, 4242) and nack.status != P.ROK
        # an unknown command id
        peer.send_bytes(struct.pack(">IIII", 16, 0x000000FF, 0, 4343))
        nack = await peer.read()
        assert (nack.command_id, nack.seq, nack.status) == (P.GENERIC_NACK, 4343, P.RINVCMDID)
        seq = peer.send(P.Pdu(P.ENQUIRE_LINK))  # the session survives both
        assert (await peer.read()).seq == seq
    finally:
        peer.close()
        await sim.stop()


async def test_connection_that_never_binds_is_closed():
    sim = await start_simulator(session_init_s=0.3, inactivity_s=0)
    peer = await Raw.connect(sim.port)
    try:
        assert await peer.closed(timeout=3)
        assert sim.stats()["session_init_timeouts"] == 1
    finally:
        peer.close()
        await sim.stop()


async def test_idle_session_is_unbound_but_enquire_link_keeps_it_alive():
    sim = await start_simulator(session_init_s=0, inactivity_s=0.5)
    idle, busy = await Raw.connect(sim.port), await Raw.connect(sim.port)
    try:
        await idle.bind()
        await busy.bind()

        async def keep_alive():
            for _ in range(12):
                busy.send(P.Pdu(P.ENQUIRE_LINK))
                assert (await busy.read()).command_id == P.ENQUIRE_LINK | P.RESP
                await asyncio.sleep(0.15)

        alive = asyncio.create_task(keep_alive())
        assert await idle.closed(timeout=3)  # unbind, then closed
        await alive  # 1.8 s of enquire_link: never timed out
        assert sim.stats()["inactivity_timeouts"] == 1
        await until(lambda: len(sim.sessions) == 1)
    finally:
        idle.close()
        busy.close()
        await sim.stop()

"""One SMPP connection (both sides): framing, sequence numbers, request/response matching, timeouts.

Built on asyncio.Protocol rather than streams because it is several times cheaper per PDU: every
`data_received` decodes all complete frames, and everything the handlers send while that batch is processed
goes out in ONE transport.write (after `before_write`, which the simulator uses to flush its witness log
so that a segment is on disk before its submit_sm_resp leaves).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from app.adapters.sms_channels import pdu as P

log = logging.getLogger("sms.smpp")
_MAX_PDU = 64 * 1024  # larger command_length means a broken peer
_SWEEP_S = 0.05  # timeout resolution


class SessionClosed(ConnectionError):
    """The connection went away while a request was outstanding."""


class SmppSession(asyncio.Protocol):
    """`handler(session, pdu)` gets every request PDU (never responses); it answers with `session.send`."""

    def __init__(self, handler: Callable[[SmppSession, P.Pdu], None], *, name: str = "smpp") -> None:
        self.handler = handler
        self.name = name
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self.pending: dict[int, asyncio.Future] = {}
        self.deadlines: dict[int, float] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self.before_write: Callable[[], None] | None = None
        self.bound: str = ""  # "transmitter" | "receiver" | "transceiver" once bound
        self.system_id = ""
        self._buf = bytearray()
        self._out: list[bytes] | None = None
        self._seq = 0
        self._loop = asyncio.get_running_loop()
        self._can_write = asyncio.Event()
        self._can_write.set()
        self.opened_at = self.last_rx = self._loop.time()  # for the SMPP session timers (simulator)

    # --- asyncio.Protocol ------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        try:
            import socket

            transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass

    def data_received(self, data: bytes) -> None:
        self.last_rx = self._loop.time()
        buf = self._buf
        buf += data
        self._out = []
        try:
            while len(buf) >= 4:
                length = int.from_bytes(buf[:4], "big")
                if length < 16 or length > _MAX_PDU:
                    log.warning("%s: bad command_length %s, closing", self.name, length)
                    self.close()
                    return
                if len(buf) < length:
                    break
                frame = bytes(buf[:length])
                del buf[:length]
                self._dispatch(frame)
        finally:
            out, self._out = self._out, None
            if self.before_write is not None:
                self.before_write()
            if out and self.transport is not None and not self.transport.is_closing():
                self.transport.write(b"".join(out))

    def _dispatch(self, frame: bytes) -> None:
        try:
            pdu = P.decode(frame)
        except P.PduError as exc:
            self.send(P.Pdu(P.GENERIC_NACK, exc.seq, exc.status))
            return
        if pdu.is_response:
            self.deadlines.pop(pdu.seq, None)
            fut = self.pending.pop(pdu.seq, None)
            if fut is not None and not fut.done():
                fut.set_result(pdu)
            return
        try:
            self.handler(self, pdu)
        except Exception:  # a handler bug must not kill the connection silently
            log.exception("%s: handler failed for %s", self.name, pdu.name)
            self.send(P.response(pdu, P.RSYSERR) if pdu.command_id in P.COMMANDS else
                      P.Pdu(P.GENERIC_NACK, pdu.seq, P.RINVCMDID))

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    def connection_lost(self, exc) -> None:
        self.transport = None
        pending, self.pending = self.pending, {}
        self.deadlines.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(SessionClosed("connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)

    # --- API -------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def next_seq(self) -> int:
        self._seq = self._seq % 0x7FFFFFFF + 1
        return self._seq

    def send(self, pdu: P.Pdu) -> None:
        """Queue/write one PDU (batched when called while a batch is being processed)."""
        data = pdu.encode()
        if self._out is not None:
            self._out.append(data)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def request(self, pdu: P.Pdu, timeout: float = 10.0) -> asyncio.Future:
        """Send a request; the future resolves to its response Pdu, or raises TimeoutError/SessionClosed."""
        fut = self._loop.create_future()
        if not self.is_open:
            fut.set_exception(SessionClosed("not connected"))
            return fut
        pdu.seq = self.next_seq()
        self.pending[pdu.seq] = fut
        # One sweeper per session instead of a timer per PDU: a TimerHandle per submit_sm is a
        # measurable share of the cost at thousands of PDUs per second.
        self.deadlines[pdu.seq] = self._loop.time() + timeout
        if self._sweeper is None:
            self._sweeper = self._loop.call_later(_SWEEP_S, self._sweep)
        self.send(pdu)
        return fut

    async def drain(self) -> None:
        """Wait while the kernel buffer is full (back-pressure for bulk senders)."""
        if not self._can_write.is_set():
            await self._can_write.wait()

    def _sweep(self) -> None:
        self._sweeper = None
        now = self._loop.time()
        expired = [seq for seq, at in self.deadlines.items() if at <= now or seq not in self.pending]
        for seq in expired:
            self.deadlines.pop(seq, None)
            fut = self.pending.pop(seq, None)
            if fut is not None and not fut.done():
                fut.set_exception(TimeoutError("no response"))
        if self.deadlines and self.transport is not None:
            self._sweeper = self._loop.call_later(_SWEEP_S, self._sweep)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

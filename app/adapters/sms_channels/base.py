"""The SMS channel interface the outbox/dispatcher (app/sms) codes against.

A channel is one connection to one SMS carrier/provider: SMPP 3.4 (`smpp_client.SmppChannel`) or a JSON
HTTP provider (`http_provider.HttpChannel`). Channels know nothing about our database: they take an
`OutboundSms`, return a `SubmitResult`, and report receipts / mobile-originated messages through the two
callbacks the caller sets before `start()`.

Exactly-once across crashes relies on `ref`: it travels with every segment (SMPP vendor TLV 0x1400, HTTP
Idempotency-Key), so after a crash the caller asks `lookup(ref)` before resubmitting anything whose
outcome it never saw.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable

# Receipt states (SMPP 3.4 appendix B "stat" words); the HTTP provider uses the same words.
FINAL_STATES = ("DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN")
STATES = FINAL_STATES + ("ACCEPTD", "ENROUTE")


@dataclass
class OutboundSms:
    ref: str  # our unique reference, e.g. "m123"; sent as vendor TLV 0x1400 (C-string) in every segment
    to: str  # digits, e.g. "13800138000" or "8613800138000"
    text: str  # up to encoding.MAX_CHARS characters; the channel splits into segments itself
    sender: str = ""  # source address / extension
    want_receipt: bool = True


@dataclass
class SubmitResult:
    ref: str
    ok: bool
    channel_ids: list[str] = field(default_factory=list)  # SMSC message_id of every segment, in order
    error: str = ""  # e.g. "ESME_RTHROTTLED", "ESME_RINVDSTADR", "timeout", "not bound"
    retryable: bool = False  # throttling/timeouts/connection loss: retry later, after lookup()


@dataclass
class Receipt:
    channel_id: str
    status: str  # one of STATES
    error: str = ""
    done_at: datetime | None = None


@dataclass
class MoMessage:
    sender: str
    to: str
    text: str
    received_at: datetime


ReceiptCallback = Callable[[Receipt], Awaitable[None]]
MoCallback = Callable[[MoMessage], Awaitable[None]]


class SmsChannel(ABC):
    """One channel. `submit` may be called concurrently; the channel windows/limits internally."""

    name: str
    kind: str

    def __init__(self, name: str) -> None:
        self.name = name
        self.on_receipt: ReceiptCallback | None = None
        self.on_mo: MoCallback | None = None

    @abstractmethod
    async def start(self) -> None:
        """Connect in the background; reconnect forever with backoff until stop(). Returns promptly."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect cleanly; pending submits fail with a retryable error."""

    @property
    @abstractmethod
    def healthy(self) -> bool:
        """Bound/reachable and not failing right now (the dispatcher weights by this)."""

    @abstractmethod
    async def submit(self, msg: OutboundSms) -> SubmitResult:
        """Send all segments of `msg`. Never raises for carrier errors: they are in the result."""

    @abstractmethod
    async def lookup(self, ref: str) -> list[str] | None:
        """Channel ids the SMSC holds for `ref`, or None if it never accepted it (resubmitting is safe).

        Raises ChannelUnavailable when the answer is unknown (not bound / timeout)."""

    async def _emit_receipt(self, receipt: Receipt) -> None:
        if self.on_receipt is not None:
            await self.on_receipt(receipt)

    async def _emit_mo(self, mo: MoMessage) -> None:
        if self.on_mo is not None:
            await self.on_mo(mo)


class ChannelUnavailable(Exception):
    """The channel cannot answer now (not bound, timed out); try again later."""


def make_channel(name: str, kind: str, config: dict) -> SmsChannel:
    """Build a channel from its stored configuration.

    kind "smpp" — config keys: host, port, system_id, password, system_type="", bind="transceiver"
      (or "transmitter"), window=64, timeout_s=10, enquire_link_s=30, max_tps=0 (0 = unlimited),
      reconnect_min_s=0.5, reconnect_max_s=30, source_ton=0, source_npi=0, dest_ton=1, dest_npi=1,
      ref_tlv=True (send our ref as TLV 0x1400; needed by lookup()).
    kind "http" — config keys: base_url, token="" (sent as Bearer), concurrency=32, timeout_s=10,
      poll_s=1.0 (receipts/MO polling interval), receipt_cursor=0, mo_cursor=0.
    kind "simulator" — a built-in SMSC started in this process plus an SMPP channel bound to it (dev/demo
      without a separate `python -m app smsc`): latency_ms, fail_rate, receipt_delay_ms, receipt_fail_rate,
      log_path, port=0, and any "smpp" key (window, max_tps, …).
    """
    if kind == "smpp":
        from app.adapters.sms_channels.smpp_client import SmppChannel

        return SmppChannel(name, config)
    if kind == "http":
        from app.adapters.sms_channels.http_provider import HttpChannel

        return HttpChannel(name, config)
    if kind == "simulator":
        from app.adapters.sms_channels.simulator_channel import SimulatorChannel

        return SimulatorChannel(name, config)
    raise ValueError(f"unknown SMS channel kind {kind!r}")

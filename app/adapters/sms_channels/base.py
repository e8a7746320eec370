"""The SMS channel interface the outbox/dispatcher (app/sms) codes against.

A channel is one connection to one SMS carrier/provider: SMPP 3.4 (`smpp_client.SmppChannel`) or a JSON
HTTP provider (`http_provider.HttpChannel`). Channels know nothing about our database: they take an
`OutboundSms`, return a `SubmitResult`, and report receipts / mobile-originated messages through the two
callbacks the caller sets before `start()`.

Exactly-once across crashes relies on `ref`: it travels with every segment (SMPP vendor TLV 0x1400, HTTP
Idempotency-Key), so after a crash the caller asks `lookup(ref)` before resubmitting anything whose
outcome it never saw. Only an SMSC that implements that lookup can prove absence: a standard SMSC answers
query_sm without a message_id with ESME_RQUERYFAIL whether or not it holds the message, so such channels
raise `LookupInconclusive` and the caller must not resend (app/sms/dispatcher.py holds the message).

Receipts name the SMSC's message id in whatever notation the SMSC uses there (hex in submit_sm_resp and
decimal in the receipt is common, with or without leading zeros); channels hand out ids in one canonical
form (`canonical_id`) and receipt words mapped to SMPP's (`receipt_state`).
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

# Receipt states (SMPP 3.4 appendix B "stat" words); the HTTP provider uses the same words.
FINAL_STATES = ("DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN")
STATES = FINAL_STATES + ("ACCEPTD", "ENROUTE")
# Spellings seen in the wild (full words, SMPP 5 names, message_state numbers) → the SMPP 3.4 words.
_STATE_WORDS = {
    "DELIVERED": "DELIVRD", "DELIVERD": "DELIVRD", "DELIVRD": "DELIVRD", "DELIVER": "DELIVRD", "SUCCESS": "DELIVRD",
    "UNDELIVERABLE": "UNDELIV", "UNDELIVERED": "UNDELIV", "UNDELIV": "UNDELIV", "FAILED": "UNDELIV", "FAIL": "UNDELIV",
    "EXPIRED": "EXPIRED", "EXPIRD": "EXPIRED", "REJECTED": "REJECTD", "REJECTD": "REJECTD", "REJECT": "REJECTD",
    "DELETED": "DELETED", "DELETD": "DELETED", "UNKNOWN": "UNKNOWN", "ACCEPTED": "ACCEPTD", "ACCEPTD": "ACCEPTD",
    "ENROUTE": "ENROUTE", "EN_ROUTE": "ENROUTE", "SCHEDULED": "ENROUTE", "SKIPPED": "REJECTD",
    "1": "ENROUTE", "2": "DELIVRD", "3": "EXPIRED", "4": "DELETED", "5": "UNDELIV", "6": "ACCEPTD", "7": "UNKNOWN",
    "8": "REJECTD",
}
ID_FORMATS = ("auto", "dec", "hex", "hex/dec", "dec/hex")  # submit_sm_resp id / receipt id notation
_HEX = re.compile(r"^[0-9a-f]+$")
_DEC = re.compile(r"^[0-9]+$")


def receipt_state(word: str | None) -> str:
    """A receipt's status word in SMPP 3.4 spelling ("DELIVERED" → "DELIVRD"); unknown words → "UNKNOWN"."""
    key = (word or "").strip().upper().replace(" ", "_").replace("-", "_")
    return _STATE_WORDS.get(key) or _STATE_WORDS.get(key.replace("_", ""), "UNKNOWN")


def canonical_id(raw: str | None, notation: str = "auto") -> str:
    """One spelling for an SMSC message id, whichever way the SMSC wrote it: numeric ids become their decimal
    value (leading zeros and hex/decimal notation gone), others are trimmed and lower-cased.

    `notation` is how this id was written: "dec", "hex", or "auto" (hex only when it has a letter a-f, which
    cannot tell a hex id made of digits only: channels configure the notation when their SMSC mixes)."""
    value = (raw or "").strip().lower()
    if notation == "hex" and _HEX.match(value):
        return str(int(value, 16))
    if notation in ("dec", "auto") and _DEC.match(value):
        return str(int(value))
    if notation == "auto" and _HEX.match(value) and len(value) <= 32:
        return str(int(value, 16))
    return value


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

        Raises ChannelUnavailable when the answer is unknown now (not bound / timeout), and its subclass
        LookupInconclusive when this channel can never prove absence (a standard SMSC without ref lookup)."""

    def validate_sender(self, sender: str) -> str | None:
        """Why this channel cannot send with `sender` as the source address (a translated message), or None.
        Checked when a send is accepted, so a bad sender is refused up front rather than failing later."""
        return None

    async def _emit_receipt(self, receipt: Receipt) -> None:
        if self.on_receipt is not None:
            await self.on_receipt(receipt)

    async def _emit_mo(self, mo: MoMessage) -> None:
        if self.on_mo is not None:
            await self.on_mo(mo)


class ChannelUnavailable(Exception):
    """The channel cannot answer now (not bound, timed out); try again later."""


class LookupInconclusive(ChannelUnavailable):
    """The channel cannot tell "never accepted" from "accepted": asking again will not help, and resending
    may duplicate. (A standard SMSC answers query_sm by ref with ESME_RQUERYFAIL either way.)"""


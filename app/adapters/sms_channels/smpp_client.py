"""The "smpp" channel: an asyncio SMPP 3.4 ESME (client), modelled on Jasmin's SMPP client connector.

- bind_transceiver (or transmitter) with system_id/password; reconnects forever with exponential backoff
  (reconnect_min_s … reconnect_max_s, with jitter) until stop();
- window: at most `window` submit_sm outstanding, each with its own response timeout (`timeout_s`);
- enquire_link every `enquire_link_s`; no answer within timeout_s = dead link → reconnect;
- throttle: at most `max_tps` submit_sm per second (0 = unlimited);
- long text → concatenated segments (UDH IEI 0x00, esm_class 0x40), every segment carries TLV 0x1400 = ref;
- deliver_sm → Receipt (esm_class 0x04) or MoMessage (concatenated MO reassembled); deliver_sm_resp is
  always sent: ESME_ROK after the callback returns, ESME_RX_T_APPN if it raised (so the SMSC retries);
- lookup(ref): query_sm with empty message_id and TLV 0x1400 = ref (our vendor extension, see pdu.py). Only
  an SMSC that implements it can prove absence (`ref_lookup`); a standard one answers ESME_RQUERYFAIL for
  every such query, so lookup() raises LookupInconclusive there and the caller must not resend;
- message ids (submit_sm_resp, receipts, lookup) are handed out canonical (base.canonical_id) in the
  notation `msg_id_format` says, or, with "auto", hex once an id with a letter a-f was seen on that side;
- validate_sender: source_addr is a C-Octet String of at most 21 octets with its NUL, printable ASCII.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime

from app.adapters.sms_channels import encoding
from app.adapters.sms_channels import pdu as P
from app.adapters.sms_channels.base import (
    ID_FORMATS,
    ChannelUnavailable,
    LookupInconclusive,
    MoMessage,
    OutboundSms,
    Receipt,
    SmsChannel,
    SubmitResult,
    canonical_id,
    receipt_state,
)
from app.adapters.sms_channels.session import SessionClosed, SmppSession
from app.core.i18n import gettext as _

log = logging.getLogger("sms.smpp")
_BIND_IDS = {"transceiver": P.BIND_TRANSCEIVER, "transmitter": P.BIND_TRANSMITTER, "receiver": P.BIND_RECEIVER}
_MO_PARTS_TTL = 600.0  # seconds an incomplete concatenated MO waits for its missing parts
SIMULATOR_SYSTEM_ID = "TCSMSC"  # what our simulator answers in bind_resp: it implements lookup by ref
MAX_SOURCE_ADDR = 20  # source_addr: C-Octet String, 21 octets with the terminating NUL (SMPP 3.4 §4.4.1)


class SmppChannel(SmsChannel):
    kind = "smpp"

    def __init__(self, name: str, config: dict) -> None:
        super().__init__(name)
        c = config
        self.host, self.port = c.get("host", "127.0.0.1"), int(c.get("port", 2775))
        self.system_id, self.password = c.get("system_id", ""), c.get("password", "")
        self.system_type = c.get("system_type", "")
        self.bind_mode = c.get("bind", "transceiver")
        self.window = int(c.get("window", 64))
        self.timeout = float(c.get("timeout_s", 10))
        self.enquire_every = float(c.get("enquire_link_s", 30))
        self.max_tps = float(c.get("max_tps", 0))
        self.backoff_min, self.backoff_max = float(c.get("reconnect_min_s", 0.5)), float(c.get("reconnect_max_s", 30))
        self.addr = (int(c.get("source_ton", 0)), int(c.get("source_npi", 0)),
                     int(c.get("dest_ton", 1)), int(c.get("dest_npi", 1)))
        # TLV 0x1400 is our vendor extension; per SMPP 3.4 an SMSC ignores unknown TLVs, but a strict one
        # may refuse them (ESME_ROPTPARNOTALLWD): ref_tlv=False leaves it out, and lookup() then always
        # raises ChannelUnavailable (the caller cannot tell accepted from lost).
        self.ref_tlv = bool(c.get("ref_tlv", True))
        self.ref_lookup = c.get("ref_lookup", "auto")  # True / False / "auto" (see make_channel)
        self.smsc_system_id = ""  # from the last bind_resp
        fmt = c.get("msg_id_format", "auto")
        if fmt not in ID_FORMATS:
            raise ValueError(f"msg_id_format must be one of {ID_FORMATS}")
        sub, _sep, dlr = fmt.partition("/")
        self.id_notation = {"submit": sub, "receipt": dlr or sub}
        self.session: SmppSession | None = None
        self.last_error = ""
        self.stats = {"binds": 0, "submitted": 0, "failed": 0, "receipts": 0, "mo": 0, "reconnects": 0}
        self._window = asyncio.Semaphore(self.window)
        self._runner: asyncio.Task | None = None
        self._stopping = False
        self._bound = asyncio.Event()
        self._next_slot = 0.0
        self._concat_ref = random.randrange(256)
        self._timeouts = 0  # consecutive submit timeouts: health signal
        self._mo_parts: dict[tuple, dict] = {}
        self._tasks: set[asyncio.Task] = set()
        self._hex_seen: dict[str, bool] = {}  # msg_id_format "auto": hex ids seen per side

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._runner is None or self._runner.done():
            self._stopping = False
            self._runner = asyncio.create_task(self._run(), name=f"smpp:{self.name}")

    async def stop(self) -> None:
        self._stopping = True
        s = self.session
        if s is not None and s.is_open and s.bound:
            with contextlib.suppress(TimeoutError, SessionClosed):
                await asyncio.wait_for(s.request(P.Pdu(P.UNBIND), timeout=1.0), 1.5)
        if s is not None:
            s.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
        self._bound.clear()

    @property
    def healthy(self) -> bool:
        return self._bound.is_set() and self._timeouts < 3

    async def wait_bound(self, timeout: float = 5.0) -> bool:
        """For tests/tools: wait until bound (True) or timeout (False)."""
        try:
            await asyncio.wait_for(self._bound.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def _run(self) -> None:
        delay = self.backoff_min
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                await self._connect_and_bind(loop)
                delay = self.backoff_min
                await self._keepalive()
            except (OSError, TimeoutError, SessionClosed, _BindRefused) as exc:
                self.last_error = str(exc) or type(exc).__name__
                log.info("smpp %s: %s", self.name, self.last_error)
            except Exception as exc:  # "reconnects forever": even an unexpected bug only costs a reconnect
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("smpp %s: unexpected error", self.name)
            finally:
                self._bound.clear()
                if self.session is not None:
                    self.session.close()
            if self._stopping:
                break
            self.stats["reconnects"] += 1
            await asyncio.sleep(delay * (0.75 + random.random() / 2))
            delay = min(delay * 2, self.backoff_max)

    async def _connect_and_bind(self, loop) -> None:
        _, session = await asyncio.wait_for(
            loop.create_connection(lambda: SmppSession(self._on_request, name=self.name), self.host, self.port),
            self.timeout)
        self.session = session
        bind = P.Pdu(_BIND_IDS[self.bind_mode], system_id=self.system_id, password=self.password,
                     system_type=self.system_type, interface_version=0x34)
        resp = await session.request(bind, self.timeout)
        if resp.status != P.ROK:
            raise _BindRefused(f"bind refused: {P.status_name(resp.status)}")
        session.bound, session.system_id = self.bind_mode, self.system_id
        self.smsc_system_id = resp.get("system_id", "") or ""
        self.stats["binds"] += 1
        self._timeouts = 0
        self.last_error = ""
        self._bound.set()

    async def _keepalive(self) -> None:
        """enquire_link every N seconds until the connection closes; a missing answer is a dead link."""
        s = self.session
        while s.is_open and not self._stopping:
            done, _ = await asyncio.wait({s.closed}, timeout=self.enquire_every)
            if done or not s.is_open:
                raise SessionClosed("connection closed by SMSC")
            try:
                await s.request(P.Pdu(P.ENQUIRE_LINK), self.timeout)
            except TimeoutError:
                raise SessionClosed("enquire_link not answered: dead link") from None

    # --- submit ----------------------------------------------------------------------------------
    async def submit(self, msg: OutboundSms) -> SubmitResult:
        if not self._bound.is_set() or self.session is None or self.bind_mode == "receiver":
            return SubmitResult(msg.ref, False, [], "not bound", True)
        if (problem := self.validate_sender(msg.sender)) is not None:  # accepted before the check existed
            return SubmitResult(msg.ref, False, [], f"ESME_RINVSRCADR: {problem}", False)
        try:
            encoding.check(msg.text)
        except ValueError as exc:
            return SubmitResult(msg.ref, False, [], f"ESME_RINVMSGLEN: {exc}", False)
        seg = encoding.split(msg.text)
        total = seg.count
        if total == 1:
            res = await self._submit_segment(msg, seg.parts[0], seg.data_coding, 0)
            ok, err, retry = res
            self._count(ok)
            return SubmitResult(msg.ref, ok, [res[1]] if ok else [], "" if ok else err, retry)
        self._concat_ref = (self._concat_ref + 1) & 0xFF
        ref8 = self._concat_ref
        # All segments go out pipelined; a throttled segment is retried here because its siblings may
        # already be accepted (a caller-level resubmit would duplicate them).
        results = await asyncio.gather(*(
            self._submit_segment(msg, P.udh(ref8, total, i + 1) + part, seg.data_coding, P.ESM_UDHI,
                                 retries=3)
            for i, part in enumerate(seg.parts)))
        ids = [r[1] for r in results if r[0]]
        failed = [r for r in results if not r[0]]
        self._count(not failed)
        if not failed:
            return SubmitResult(msg.ref, True, ids)
        err = failed[0][1] + (f" ({len(ids)}/{total} segments accepted)" if ids else "")
        return SubmitResult(msg.ref, False, ids, err, all(r[2] for r in failed))

    def _count(self, ok: bool) -> None:
        self.stats["submitted" if ok else "failed"] += 1

    async def _submit_segment(self, msg: OutboundSms, payload: bytes, dc: int, esm: int,
                              retries: int = 0) -> tuple[bool, str, bool]:
        """(ok, message_id or error name, retryable)."""
        s_ton, s_npi, d_ton, d_npi = self.addr
        for attempt in range(retries + 1):
            pdu = P.Pdu(P.SUBMIT_SM, source_addr_ton=s_ton, source_addr_npi=s_npi, source_addr=msg.sender,
                        dest_addr_ton=d_ton, dest_addr_npi=d_npi, destination_addr=msg.to, esm_class=esm,
                        registered_delivery=1 if msg.want_receipt else 0, data_coding=dc,
                        short_message=payload, tlvs={P.TLV_TC_REF: msg.ref} if self.ref_tlv else {})
            if self.max_tps:
                await self._throttle()
            async with self._window:
                s = self.session
                if s is None or not s.is_open:
                    return False, "not bound", True
                try:
                    resp = await s.request(pdu, self.timeout)
                except TimeoutError:
                    self._timeouts += 1
                    return False, "timeout", True
                except SessionClosed:
                    return False, "connection lost", True
            self._timeouts = 0
            if resp.status == P.ROK:
                return True, self.canonical(resp.get("message_id", ""), "submit"), False
            retryable = resp.status in P.RETRYABLE
            if not retryable or attempt == retries:
                return False, P.status_name(resp.status), retryable
            await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _throttle(self) -> None:
        """Token spacing: submit_sm leave at most max_tps per second (Jasmin's submit_sm_throughput)."""
        now = time.monotonic()
        slot = max(self._next_slot, now)
        self._next_slot = slot + 1.0 / self.max_tps
        if slot > now:
            await asyncio.sleep(slot - now)

    async def lookup(self, ref: str) -> list[str] | None:
        s = self.session
        if not self.ref_tlv:
            raise LookupInconclusive("lookup by ref needs ref_tlv")
        if not self._bound.is_set() or s is None or self.bind_mode == "receiver":
            raise ChannelUnavailable("not bound")
        try:
            resp = await s.request(P.Pdu(P.QUERY_SM, message_id="", tlvs={P.TLV_TC_REF: ref}), self.timeout)
        except (TimeoutError, SessionClosed) as exc:
            raise ChannelUnavailable(str(exc) or "timeout") from exc
        if resp.status != P.ROK and not self.lookup_proves_absence:
            # A standard SMSC answers ESME_RQUERYFAIL (or another error) to a query without message_id
            # whether or not it holds the message: that proves nothing.
            raise LookupInconclusive(f"{P.status_name(resp.status)}: the SMSC cannot be asked by reference")
        if resp.status == P.RQUERYFAIL:
            return None
        if resp.status != P.ROK:
            raise ChannelUnavailable(P.status_name(resp.status))
        return [self.canonical(i, "submit") for i in resp.get("message_id", "").split(",") if i]

    @property
    def lookup_proves_absence(self) -> bool:
        """True when the SMSC implements our query_sm-by-ref extension (configured, or our simulator)."""
        if self.ref_lookup == "auto":
            return self.smsc_system_id == SIMULATOR_SYSTEM_ID
        return bool(self.ref_lookup) and str(self.ref_lookup).lower() not in ("false", "0", "no")

    def canonical(self, raw: str, side: str) -> str:
        """A message id from `side` ("submit" or "receipt") in canonical form (base.canonical_id). With "auto",
        once one id of that side had a letter a-f, that side's ids are read as hex (digits-only ones too)."""
        notation = self.id_notation[side]
        if notation == "auto":
            value = (raw or "").strip().lower()
            if value and not value.isdigit() and all(ch in "0123456789abcdef" for ch in value):
                self._hex_seen[side] = True
            if self._hex_seen.get(side):
                notation = "hex"
        return canonical_id(raw, notation)

    def validate_sender(self, sender: str) -> str | None:
        if not sender:
            return None
        if not all(" " <= ch <= "~" for ch in sender):
            return _("The sender %(sender)s cannot be sent over SMPP: only Latin letters, digits and ASCII"
                     " punctuation are allowed.", sender=sender)
        if len(sender) > MAX_SOURCE_ADDR:
            return _("The sender may have at most %(max)s characters.", max=MAX_SOURCE_ADDR)
        return None

    # --- incoming --------------------------------------------------------------------------------
    def _on_request(self, session: SmppSession, pdu: P.Pdu) -> None:
        cid = pdu.command_id
        if cid == P.ENQUIRE_LINK:
            session.send(P.response(pdu))
        elif cid == P.DELIVER_SM:
            task = asyncio.create_task(self._deliver(session, pdu))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif cid == P.UNBIND:
            session.send(P.response(pdu))
            self._bound.clear()
            asyncio.get_running_loop().call_soon(session.close)
        else:
            session.send(P.Pdu(P.GENERIC_NACK, pdu.seq, P.RINVCMDID))

    async def _deliver(self, session: SmppSession, pdu: P.Pdu) -> None:
        status = P.ROK
        try:
            if pdu.get("esm_class", 0) & 0x3C in (P.ESM_RECEIPT, 0x20):  # receipt / intermediate notification
                receipt = receipt_from_pdu(pdu)
                receipt.channel_id = self.canonical(receipt.channel_id, "receipt")
                await self._emit_receipt(receipt)
                self.stats["receipts"] += 1
            else:
                mo = self._mo_from_pdu(pdu)
                if mo is not None:
                    await self._emit_mo(mo)
                    self.stats["mo"] += 1
        except Exception:
            log.exception("smpp %s: deliver_sm callback failed; asking the SMSC to retry", self.name)
            status = P.RX_T_APPN
        session.send(P.response(pdu, status, message_id=""))

    def _mo_from_pdu(self, pdu: P.Pdu) -> MoMessage | None:
        data = pdu.get("short_message") or pdu.tlvs.get(P.TLV_MESSAGE_PAYLOAD, b"")
        concat = None
        if pdu.get("esm_class", 0) & P.ESM_UDHI:
            concat, data = P.parse_udh(data)
        elif P.TLV_SAR_MSG_REF_NUM in pdu.tlvs:
            t = pdu.tlvs
            concat = (t[P.TLV_SAR_MSG_REF_NUM], t.get(P.TLV_SAR_TOTAL, 1), t.get(P.TLV_SAR_SEQNUM, 1))
        text = encoding.decode(data, pdu.get("data_coding", 0))
        sender, to = pdu.get("source_addr", ""), pdu.get("destination_addr", "")
        now = datetime.now(UTC)
        if concat is None or concat[1] <= 1:
            return MoMessage(sender, to, text, now)
        ref, total, seq = concat
        mono = time.monotonic()
        for key in [k for k, v in self._mo_parts.items() if mono - v["at"] > _MO_PARTS_TTL]:
            del self._mo_parts[key]
        entry = self._mo_parts.setdefault((sender, to, ref, total), {"at": mono, "parts": {}})
        entry["parts"][seq] = text
        if len(entry["parts"]) < total:
            return None
        del self._mo_parts[(sender, to, ref, total)]
        return MoMessage(sender, to, "".join(entry["parts"][i] for i in sorted(entry["parts"])), now)


class _BindRefused(Exception):
    pass


def receipt_from_pdu(pdu: P.Pdu) -> Receipt:
    """deliver_sm receipt → Receipt; TLVs (receipted_message_id, message_state) win over the text."""
    raw = pdu.get("short_message") or pdu.tlvs.get(P.TLV_MESSAGE_PAYLOAD, b"")
    fields = P.parse_receipt(raw.decode("latin-1", errors="replace"))
    cid = pdu.tlvs.get(P.TLV_RECEIPTED_MESSAGE_ID) or fields.get("id", "")
    state = pdu.tlvs.get(P.TLV_MESSAGE_STATE)
    status = P.MESSAGE_STATES.get(state) if state is not None else None
    status = status or receipt_state(fields.get("stat"))
    err = fields.get("err", "")
    return Receipt(cid, status, "" if err in ("", "000", "0") else err, P.parse_stamp(fields.get("done date")))

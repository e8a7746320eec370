"""A local SMSC (SMPP 3.4 server) for development, tests and benchmarks.

    sim = await start_simulator(port=0, latency_ms=5, fail_rate=0.01, receipt_delay_ms=100,
                                log_path="/tmp/smsc.log", users={"tc": "secret"})
    sim.port; sim.stats(); await sim.inject_mo("13800138000", "10690", "TD"); await sim.stop()

CLI: `python -m app smsc --port 2775 --control-port 2776 ...` (control HTTP: see control_http.py).

WITNESS LOG (log_path): one line per ACCEPTED submit_sm segment, flushed before its submit_sm_resp leaves:
    message_id<TAB>tc_ref<TAB>seq/total<TAB>dest<TAB>system_id<TAB>iso_time
It proves exactly-once delivery in benchmarks: the same ref + seq twice is a duplicate. The simulator never
dedupes; it counts duplicates in stats()["duplicate_segments"]. It answers query_sm by ref (TLV 0x1400)
from memory, and reloads the log on start so that a restarted simulator still knows old refs.

Receipts (when registered_delivery asks: 1 = always, 2 = failures only) go after receipt_delay_ms to a bound
receiver/transceiver of the same system_id, round-robin, queued while none is bound and redelivered when
deliver_sm_resp is not OK.

Session timers (SMPP 3.4 §7.2): a connection that has not bound within `session_init_s` is closed; a bound
session that sent nothing (enquire_link counts) for `inactivity_s` gets an unbind and is closed (0 = off).
A malformed PDU is answered with generic_nack carrying that PDU's sequence number (session.py).
"""
from __future__ import annotations

import asyncio
import collections
import logging
import os
import random
import re
import time
from datetime import UTC, datetime

from app.adapters.sms_channels import encoding
from app.adapters.sms_channels import pdu as P
from app.adapters.sms_channels.session import SessionClosed, SmppSession

log = logging.getLogger("sms.smsc")
DESTINATION = re.compile(r"^\+?[0-9]{3,20}$")
_BIND_KIND = {P.BIND_TRANSMITTER: "transmitter", P.BIND_RECEIVER: "receiver", P.BIND_TRANSCEIVER: "transceiver"}
DELIVER_WINDOW = 256  # outstanding deliver_sm per ESME session; the rest waits in the queue
HTTP_SYSTEM_ID = "http"  # submissions through the HTTP-provider stub are logged under this system_id


class Msg:
    __slots__ = ("ref", "dest", "source", "system_id", "submitted", "state", "done")

    def __init__(self, ref, dest, source, system_id, submitted, state="ENROUTE"):
        self.ref, self.dest, self.source, self.system_id = ref, dest, source, system_id
        self.submitted, self.state, self.done = submitted, state, None


class SmscSimulator:
    def __init__(self, host="127.0.0.1", port=0, *, latency_ms=0, fail_rate=0.0, fail_status="ESME_RTHROTTLED",
                 receipt_delay_ms=0, receipt_fail_rate=0.0, log_path=None, users=None, max_tps=0,
                 session_init_s=30.0, inactivity_s=300.0):
        self.host, self.port = host, port
        self.latency = latency_ms / 1000.0
        self.fail_rate, self.fail_status = fail_rate, P.CODES[fail_status]
        self.receipt_delay, self.receipt_fail_rate = receipt_delay_ms / 1000.0, receipt_fail_rate
        self.log_path = log_path
        self.users = dict(users if users is not None else {"tc": "secret"})
        self.max_tps = max_tps
        self.session_init_s, self.inactivity_s = float(session_init_s or 0), float(inactivity_s or 0)
        self.connections: set[SmppSession] = set()  # every open connection, bound or not (timers)
        self._timer_task: asyncio.Task | None = None
        self.silent = False  # tests: stop answering anything (a dead link that keeps the socket open)
        self.msgs: dict[str, Msg] = {}
        self.by_ref: dict[str, list[tuple[int, str]]] = {}
        self.sessions: set[SmppSession] = set()
        self.queued: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self.http_receipts: list[dict] = []  # HTTP-provider stub: receipts / MO, polled by cursor
        self.http_mo: list[dict] = []
        self.http_idempotency = True
        self.counts = collections.Counter()
        self._server = None
        self._log = None
        self._log_dirty = False
        self._next_id = int(time.time() * 1000) * 1000
        self._rr = 0
        self._mo_ref = 0
        self._tps_window = (0, 0)  # (second, count) for max_tps

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> SmscSimulator:
        if self.log_path:
            self._reload_log()
            # the log stays open for the simulator's lifetime (stop() closes it), hence no `with`
            self._log = open(self.log_path, "a", encoding="utf-8", buffering=1 << 16)  # noqa: SIM115
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._make_session, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.session_init_s or self.inactivity_s:
            self._timer_task = asyncio.create_task(self._session_timers(), name="smsc:timers")
        return self

    async def stop(self) -> None:
        if self._timer_task is not None:
            self._timer_task.cancel()
            self._timer_task = None
        if self._server is not None:
            self._server.close()
        for s in list(self.sessions):
            s.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _make_session(self) -> SmppSession:
        s = SmppSession(self._on_request, name="smsc")
        s.before_write = self._flush_log
        self.connections.add(s)
        s.closed.add_done_callback(lambda _f: (self.sessions.discard(s), self.connections.discard(s)))
        return s

    async def _session_timers(self) -> None:
        """session_init_timer and inactivity_timer, checked a few times per shortest period."""
        every = min(t for t in (self.session_init_s, self.inactivity_s) if t) / 5
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, max(0.02, every)))
            now = loop.time()
            for s in list(self.connections):
                if not s.is_open:
                    continue
                if not s.bound:
                    if self.session_init_s and now - s.opened_at > self.session_init_s:
                        self.counts["session_init_timeouts"] += 1
                        s.close()
                elif self.inactivity_s and now - s.last_rx > self.inactivity_s:
                    self.counts["inactivity_timeouts"] += 1
                    s.bound = ""
                    self.sessions.discard(s)
                    s.request(P.Pdu(P.UNBIND), timeout=1.0).add_done_callback(lambda _f, s=s: s.close())

    def _reload_log(self) -> None:
        if not os.path.exists(self.log_path):
            return
        with open(self.log_path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 6:
                    continue  # a torn last line after a crash
                mid, ref, seqtot, dest, system_id, iso = parts[:6]
                seq = int(seqtot.split("/")[0] or 1)
                self._remember(mid, ref, seq, Msg(ref, dest, "", system_id, _parse_iso(iso), "UNKNOWN"))
                if mid.isdigit():
                    self._next_id = max(self._next_id, int(mid) + 1)

    def _remember(self, mid: str, ref: str, seq: int, msg: Msg) -> None:
        self.msgs[mid] = msg
        if ref:
            entries = self.by_ref.setdefault(ref, [])
            if any(s == seq for s, _ in entries):
                self.counts["duplicate_segments"] += 1
            entries.append((seq, mid))

    def _flush_log(self) -> None:
        if self._log_dirty and self._log is not None:
            self._log.flush()
            self._log_dirty = False

    def stats(self) -> dict:
        out = dict(self.counts)
        out.update(sessions=len(self.sessions), refs=len(self.by_ref), messages=len(self.msgs),
                   queued=sum(len(q) for q in self.queued.values()))
        return out

    # --- the accept path (shared with the HTTP stub) ---------------------------------------------
    def accept(self, ref: str, dest: str, source: str, system_id: str, seq: int, total: int) -> str:
        """Record one accepted segment (memory + witness log) and return its message_id."""
        mid = str(self._next_id)
        self._next_id += 1
        now = datetime.now(UTC)
        self._remember(mid, ref, seq, Msg(ref, dest, source, system_id, now))
        if self._log is not None:
            self._log.write(f"{mid}\t{ref}\t{seq}/{total}\t{dest}\t{system_id}\t{now.isoformat()}\n")
            self._log_dirty = True
        self.counts["accepted"] += 1
        return mid

    def lookup(self, ref: str) -> list[str] | None:
        entries = self.by_ref.get(ref)
        return [mid for _, mid in sorted(entries, key=lambda e: e[0])] if entries else None

    def schedule_receipt(self, mid: str, failures_only: bool = False) -> None:
        loop = asyncio.get_running_loop()
        if self.receipt_delay:
            loop.call_later(self.receipt_delay, self._receipt, mid, failures_only)
        else:
            loop.call_soon(self._receipt, mid, failures_only)

    def _receipt(self, mid: str, failures_only: bool = False) -> None:
        msg = self.msgs.get(mid)
        if msg is None:
            return
        msg.state = "UNDELIV" if random.random() < self.receipt_fail_rate else "DELIVRD"
        msg.done = datetime.now(UTC)
        if failures_only and msg.state == "DELIVRD":  # registered_delivery = 2: no receipt for success
            self.counts["receipts_suppressed"] += 1
            return
        err = 1 if msg.state != "DELIVRD" else 0
        if msg.system_id == HTTP_SYSTEM_ID:
            self.http_receipts.append({"id": mid, "status": msg.state, "error": f"{err:03d}" if err else "",
                                       "done_at": msg.done.isoformat()})
            self.counts["receipts_sent"] += 1
            return
        text = P.receipt_text(mid, msg.state, submitted=msg.submitted, done=msg.done, err=err)
        pdu = P.Pdu(P.DELIVER_SM, source_addr=msg.dest, destination_addr=msg.source, esm_class=P.ESM_RECEIPT,
                    short_message=text.encode("latin-1"),
                    tlvs={P.TLV_RECEIPTED_MESSAGE_ID: mid, P.TLV_MESSAGE_STATE: P.STATE_CODES[msg.state]})
        self._deliver(msg.system_id, pdu, "receipts_sent")

    async def inject_mo(self, sender: str, to: str, text: str, system_id: str = "tc") -> int:
        """A handset sends `text` to `to`; returns the number of segments queued for the ESME."""
        if system_id == HTTP_SYSTEM_ID:
            self.http_mo.append({"sender": sender, "to": to, "text": text,
                                 "received_at": datetime.now(UTC).isoformat()})
            self.counts["mo_sent"] += 1
            return 1
        seg = encoding.split(text)
        self._mo_ref = (self._mo_ref + 1) & 0xFF
        for i, part in enumerate(seg.parts):
            multi = seg.count > 1
            pdu = P.Pdu(P.DELIVER_SM, source_addr=sender, destination_addr=to, data_coding=seg.data_coding,
                        esm_class=P.ESM_UDHI if multi else 0,
                        short_message=(P.udh(self._mo_ref, seg.count, i + 1) if multi else b"") + part)
            self._deliver(system_id, pdu, "mo_sent")
        return seg.count

    def _deliver(self, system_id: str, pdu: P.Pdu, counter: str) -> None:
        receivers = self._receivers(system_id)
        if not receivers:
            self.queued[system_id].append((pdu, counter))
            return
        self._rr += 1
        s = receivers[self._rr % len(receivers)]
        pdu.seq = 0
        fut = s.request(pdu, timeout=10.0)

        def done(f: asyncio.Future) -> None:
            ok = not f.cancelled() and f.exception() is None and f.result().status == P.ROK
            if ok:
                self.counts[counter] += 1
                if self.queued.get(system_id):
                    self._drain(system_id)
            else:  # ESME asked for a retry or the link died: queue and retry later
                self.counts["deliver_retries"] += 1
                self.queued[system_id].append((pdu, counter))
                asyncio.get_running_loop().call_later(1.0, self._drain, system_id)

        fut.add_done_callback(done)

    def _receivers(self, system_id: str) -> list[SmppSession]:
        """Bound receiving sessions of system_id with room in their deliver_sm window."""
        return [s for s in self.sessions if s.system_id == system_id and s.bound in ("receiver", "transceiver")
                and s.is_open and len(s.pending) < DELIVER_WINDOW]

    def _drain(self, system_id: str) -> None:
        q = self.queued.get(system_id)
        while q:
            if not self._receivers(system_id):
                return
            pdu, counter = q.popleft()
            self._deliver(system_id, pdu, counter)

    # --- SMPP requests ---------------------------------------------------------------------------
    def _on_request(self, s: SmppSession, pdu: P.Pdu) -> None:
        if self.silent:
            return
        cid = pdu.command_id
        if cid == P.SUBMIT_SM:
            self._submit(s, pdu)
        elif cid == P.ENQUIRE_LINK:
            self.counts["enquire_link"] += 1
            s.send(P.response(pdu))
        elif cid in _BIND_KIND:
            self._bind(s, pdu)
        elif cid == P.QUERY_SM:
            self._query(s, pdu)
        elif cid == P.UNBIND:
            s.send(P.response(pdu))
            s.bound = ""
            asyncio.get_running_loop().call_soon(s.close)
        else:
            s.send(P.Pdu(P.GENERIC_NACK, pdu.seq, P.RINVCMDID))

    def _bind(self, s: SmppSession, pdu: P.Pdu) -> None:
        system_id, password = pdu.get("system_id", ""), pdu.get("password", "")
        if s.bound:
            status = 0x05  # ESME_RALYBND
        elif system_id not in self.users:
            status = 0x0F  # ESME_RINVSYSID
        elif self.users[system_id] != password:
            status = P.RINVPASWD
        else:
            status = P.ROK
        s.send(P.response(pdu, status, system_id="TCSMSC"))
        self.counts["binds" if status == P.ROK else "bind_refused"] += 1
        if status == P.ROK:
            s.bound, s.system_id = _BIND_KIND[pdu.command_id], system_id
            self.sessions.add(s)
            if s.bound != "transmitter" and self.queued.get(system_id):
                asyncio.get_running_loop().call_soon(self._drain, system_id)

    def _submit(self, s: SmppSession, pdu: P.Pdu) -> None:
        self.counts["submit_sm"] += 1
        status = self._check_submit(s, pdu)
        if status != P.ROK:
            self.counts["rejected"] += 1
            self._answer(s, P.response(pdu, status))
            return
        concat = None
        sm = pdu.get("short_message", b"")
        if pdu.get("esm_class", 0) & P.ESM_UDHI:
            concat, _ = P.parse_udh(sm)
        elif P.TLV_SAR_MSG_REF_NUM in pdu.tlvs:
            concat = (0, pdu.tlvs.get(P.TLV_SAR_TOTAL, 1), pdu.tlvs.get(P.TLV_SAR_SEQNUM, 1))
        seq, total = (concat[2], concat[1]) if concat else (1, 1)
        mid = self.accept(pdu.tlvs.get(P.TLV_TC_REF, ""), pdu.get("destination_addr", ""),
                          pdu.get("source_addr", ""), s.system_id, seq, total)
        self._answer(s, P.response(pdu, P.ROK, message_id=mid))
        wanted = pdu.get("registered_delivery", 0) & 0x03
        if wanted in (1, 2):  # 3 is reserved in SMPP 3.4
            self.schedule_receipt(mid, failures_only=wanted == 2)

    def _check_submit(self, s: SmppSession, pdu: P.Pdu) -> int:
        if s.bound not in ("transmitter", "transceiver"):
            return P.RINVBNDSTS
        if not DESTINATION.match(pdu.get("destination_addr", "")):
            return P.RINVDSTADR
        if self.max_tps:
            sec = int(time.monotonic())
            cur, n = self._tps_window
            n = n + 1 if cur == sec else 1
            self._tps_window = (sec, n)
            if n > self.max_tps:
                return P.RTHROTTLED
        if self.fail_rate and random.random() < self.fail_rate:
            return self.fail_status
        return P.ROK

    def _answer(self, s: SmppSession, resp: P.Pdu) -> None:
        if self.latency:
            asyncio.get_running_loop().call_later(self.latency, s.send, resp)
        else:
            s.send(resp)

    def _query(self, s: SmppSession, pdu: P.Pdu) -> None:
        self.counts["query_sm"] += 1
        mid, ref = pdu.get("message_id", ""), pdu.tlvs.get(P.TLV_TC_REF, "")
        if not mid and ref:
            ids = self.lookup(ref)
            if ids is None:
                s.send(P.response(pdu, P.RQUERYFAIL))
                return
            msg = self.msgs[ids[0]]
            s.send(P.response(pdu, message_id=",".join(ids), final_date="",
                              message_state=P.STATE_CODES.get(msg.state, 7), error_code=0))
            return
        msg = self.msgs.get(mid)
        if msg is None:
            s.send(P.response(pdu, P.RQUERYFAIL))
            return
        final = msg.done.strftime("%y%m%d%H%M%S000+") if msg.done else ""
        s.send(P.response(pdu, message_id=mid, final_date=final, message_state=P.STATE_CODES.get(msg.state, 7),
                          error_code=0))


def _parse_iso(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return datetime.now(UTC)


async def start_simulator(host: str = "127.0.0.1", port: int = 0, *, latency_ms: float = 0, fail_rate: float = 0.0,
                          receipt_delay_ms: float = 0, receipt_fail_rate: float = 0.0, log_path: str | None = None,
                          users: dict | None = None, fail_status: str = "ESME_RTHROTTLED",
                          max_tps: int = 0, session_init_s: float = 30.0,
                          inactivity_s: float = 300.0) -> SmscSimulator:
    """Start an in-process SMSC; the returned handle has .port, .stop(), .stats(), .inject_mo(...)."""
    sim = SmscSimulator(host, port, latency_ms=latency_ms, fail_rate=fail_rate, fail_status=fail_status,
                        receipt_delay_ms=receipt_delay_ms, receipt_fail_rate=receipt_fail_rate,
                        log_path=log_path, users=users, max_tps=max_tps, session_init_s=session_init_s,
                        inactivity_s=inactivity_s)
    return await sim.start()


__all__ = ["SmscSimulator", "start_simulator", "SessionClosed"]

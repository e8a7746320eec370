"""A small SMSC built on the third-party `smpp34` package (a Rust SMPP 3.4 engine), for testing our client
against an SMPP implementation that is not ours. It behaves like a plain carrier SMSC: message ids in hex
(upper case, zero-padded) in submit_sm_resp, receipts naming them in decimal with the full word
"DELIVERED", no vendor query_sm extension (smpp34 answers query_sm with ESME_RQUERYFAIL)."""
from __future__ import annotations

import asyncio
import socket

import smpp34


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThirdPartySmsc:
    def __init__(self, *, receipts: bool = True):
        self.port = free_port()
        self.receipts = receipts
        self.server = smpp34.Server(host="127.0.0.1", port=self.port, system_id="SMPP34")
        self.submits: list[dict] = []  # every accepted submit_sm: ref (TLV 0x1400), to, id
        self.receipts_sent: list[str] = []
        self._sessions: dict[str, smpp34.Esme] = {}
        self._next = 0x0AB00000
        self._task: asyncio.Task | None = None
        self._pending: set[asyncio.Task] = set()

    async def start(self) -> ThirdPartySmsc:
        await self.server.start()
        self._task = asyncio.create_task(self._serve())
        return self

    async def stop(self) -> None:
        for task in [self._task, *self._pending]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._task, *self._pending] if t), return_exceptions=True)
        await self.server.stop()

    def refs(self) -> list[str]:
        return [s["ref"] for s in self.submits]

    async def _serve(self) -> None:
        while True:
            ev = await self.server.next()
            if isinstance(ev, smpp34.Esme):
                self._sessions[ev.session_id] = ev
            elif isinstance(ev, smpp34.Unbound):
                self._sessions.pop(ev.session_id, None)
            elif isinstance(ev, smpp34.SubmitSmEvent):
                self._next += 1
                mid = f"{self._next:010X}"
                ref = next((t.value.rstrip(b"\0").decode() for t in ev.tlvs if t.tag == 0x1400), "")
                self.submits.append({"ref": ref, "to": ev.destination_addr, "id": mid})
                ev.accept(message_id=mid)
                if self.receipts and ev.registered_delivery & 0x03 == 1:
                    task = asyncio.create_task(self._receipt(ev.session_id, ev.destination_addr, ev.source_addr,
                                                             mid))
                    self._pending.add(task)
                    task.add_done_callback(self._pending.discard)

    async def _receipt(self, session_id: str, handset: str, sender: str, mid: str) -> None:
        await asyncio.sleep(0.05)
        esme = self._sessions.get(session_id)
        if esme is None:
            return
        text = (f"id:{int(mid, 16)} sub:001 dlvrd:001 submit date:2601010000 done date:2601010001"
                f" stat:DELIVERED err:000 text:").encode()
        try:
            resp = await esme.deliver_sm(sender or "10690", text, source_addr=handset, esm_class=0x04)
        except Exception:  # the session went away: a real SMSC would queue it; not needed here
            return
        if resp.is_success:
            self.receipts_sent.append(mid)

"""The simulator's HTTP control port (plain asyncio, HTTP/1.1 keep-alive) and the HTTP-provider stub.

Control:   GET  /stats            → JSON counters of the simulator
           POST /mo               {sender, to, text, system_id="tc"} → {"segments": n}  (inject an MO)
Provider stub (the protocol documented in http_provider.py), under /provider:
           POST /provider/send    {ref, to, text, sender}; header Idempotency-Key
           GET  /provider/lookup?ref=…
           GET  /provider/receipts?after=<cursor>     GET /provider/mo?after=<cursor>
Submissions through the stub go through the same accept path as SMPP (memory + witness log, system_id
"http"). Idempotency: a repeated Idempotency-Key answers the first result (header Idempotent-Replayed)
and is counted in stats()["http_replays"] — set sim.http_idempotency = False to see raw duplicates.
"""
from __future__ import annotations

import asyncio
import json
import random
from urllib.parse import parse_qs, urlsplit

from app.adapters.sms_channels import encoding
from app.adapters.sms_channels import pdu as P
from app.adapters.sms_channels.simulator import DESTINATION, HTTP_SYSTEM_ID, SmscSimulator

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            429: "Too Many Requests", 500: "Internal Server Error"}
_PAGE = 500  # receipts/MO per poll


class ControlServer:
    def __init__(self, sim: SmscSimulator, token: str = "") -> None:
        self.sim, self.token = sim, token
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> ControlServer:
        self.server = await asyncio.start_server(self._client, host, port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                body = await reader.readexactly(int(headers.get("content-length", 0) or 0))
                status, payload, extra = await self.handle(method, target, headers, body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                hdr = (f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(data)}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in extra.items())
                       + "\r\n")
                writer.write(hdr.encode() + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def handle(self, method: str, target: str, headers: dict, body: bytes) -> tuple[int, dict, dict]:
        url = urlsplit(target)
        path, query = url.path.rstrip("/"), {k: v[0] for k, v in parse_qs(url.query).items()}
        sim = self.sim
        if path == "/stats" and method == "GET":
            return 200, sim.stats(), {}
        try:
            doc = json.loads(body) if body else {}
        except ValueError:
            return 400, {"error": "bad json"}, {}
        if path == "/mo" and method == "POST":
            n = await sim.inject_mo(str(doc.get("sender", "")), str(doc.get("to", "")), str(doc.get("text", "")),
                                    str(doc.get("system_id", "tc")))
            return 200, {"segments": n}, {}
        if not path.startswith("/provider/"):
            return 404, {"error": "not found"}, {}
        if self.token and headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}, {}
        op = path[len("/provider/"):]
        if op == "send" and method == "POST":
            if sim.latency:
                await asyncio.sleep(sim.latency)
            return self._send(doc, headers.get("idempotency-key", ""))
        if op == "lookup" and method == "GET":
            ids = sim.lookup(query.get("ref", ""))
            return (404, {"error": "unknown ref"}, {}) if ids is None else (200, {"ids": ids}, {})
        if op in ("receipts", "mo") and method == "GET":
            items = sim.http_receipts if op == "receipts" else sim.http_mo
            after = int(query.get("after", 0) or 0)
            page = items[after:after + _PAGE]
            return 200, {"items": page, "next": after + len(page)}, {}
        return 405 if op in ("send", "lookup", "receipts", "mo") else 404, {"error": "not found"}, {}

    def _send(self, doc: dict, key: str) -> tuple[int, dict, dict]:
        sim = self.sim
        ref, to, text = str(doc.get("ref") or key), str(doc.get("to", "")), str(doc.get("text", ""))
        sim.counts["http_send"] += 1
        if sim.http_idempotency and ref and (ids := sim.lookup(ref)) is not None:
            sim.counts["http_replays"] += 1
            return 200, {"id": ids[0], "parts": ids}, {"Idempotent-Replayed": "true"}
        if not DESTINATION.match(to):
            return 400, {"error": "ESME_RINVDSTADR", "retryable": False}, {}
        try:
            encoding.check(text)
        except ValueError as exc:
            return 400, {"error": f"ESME_RINVMSGLEN: {exc}", "retryable": False}, {}
        if sim.fail_rate and random.random() < sim.fail_rate:
            sim.counts["rejected"] += 1
            return 429, {"error": P.status_name(sim.fail_status), "retryable": sim.fail_status in P.RETRYABLE}, {}
        total = encoding.segment_count(text)
        ids = [sim.accept(ref, to, str(doc.get("sender", "")), HTTP_SYSTEM_ID, i + 1, total) for i in range(total)]
        sim._flush_log()  # on disk before the answer leaves, as on the SMPP side
        if doc.get("want_receipt", True):
            for mid in ids:
                sim.schedule_receipt(mid)
        return 200, {"id": ids[0], "parts": ids}, {}


async def start_control(sim: SmscSimulator, host: str = "127.0.0.1", port: int = 0, token: str = "") -> ControlServer:
    return await ControlServer(sim, token).start(host, port)

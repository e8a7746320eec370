"""The "http" channel: a client for a generic JSON HTTP SMS provider.

Protocol (what a provider must offer; the simulator's control port implements it under /provider):

  POST {base}/send        body {"ref", "to", "text", "sender", "want_receipt"}
                          headers Idempotency-Key: <ref>, Authorization: Bearer <token> (when configured)
                          200 → {"id": "<first part id>", "parts": ["<id>", ...]}   (one id per billed segment)
                          4xx/5xx → {"error": "<code>", "retryable": bool}; 429 and 5xx are always retryable.
                          The provider MUST treat a repeated Idempotency-Key as the same message (answer the
                          first result), which makes a retry after a timeout safe.
  GET  {base}/lookup?ref=<ref>            200 → {"ids": [...]}; 404 → never accepted (resubmitting is safe)
  GET  {base}/receipts?after=<cursor>     200 → {"items": [{"id", "status", "error", "done_at"}], "next": <cursor>}
  GET  {base}/mo?after=<cursor>           200 → {"items": [{"sender", "to", "text", "received_at"}], "next": ...}
       status words as in SMPP receipts (DELIVRD, UNDELIV, …); done_at/received_at ISO-8601.

Receipts and MO are polled every `poll_s`; the cursors are exposed as `.cursors` and may be given back in
the config (`receipt_cursor`, `mo_cursor`) so that a restart does not replay everything.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import httpx

from app.adapters.sms_channels import encoding
from app.adapters.sms_channels.base import (
    ChannelUnavailable,
    MoMessage,
    OutboundSms,
    Receipt,
    SmsChannel,
    SubmitResult,
    receipt_state,
)

log = logging.getLogger("sms.http")


class HttpChannel(SmsChannel):
    kind = "http"

    def __init__(self, name: str, config: dict) -> None:
        super().__init__(name)
        self.base_url = str(config.get("base_url", "http://127.0.0.1:2776/provider")).rstrip("/")
        self.token = config.get("token", "")
        self.concurrency = int(config.get("concurrency", 32))
        self.timeout = float(config.get("timeout_s", 10))
        self.poll_s = float(config.get("poll_s", 1.0))
        self.cursors = {"receipts": int(config.get("receipt_cursor", 0)), "mo": int(config.get("mo_cursor", 0))}
        self.last_error = ""
        self._client: httpx.AsyncClient | None = None
        self._limit = asyncio.Semaphore(self.concurrency)
        self._poller: asyncio.Task | None = None
        self._ok = False
        self._failures = 0

    async def start(self) -> None:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._client = httpx.AsyncClient(
                base_url=self.base_url, headers=headers, timeout=self.timeout,
                limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency))
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_loop(), name=f"http-sms:{self.name}")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._ok = False

    @property
    def healthy(self) -> bool:
        return self._client is not None and self._ok and self._failures < 3

    def _mark(self, ok: bool, error: str = "") -> None:
        self._ok = self._ok or ok  # reachable at least once; _failures tracks the recent streak
        self._failures = 0 if ok else self._failures + 1
        if not ok:
            self.last_error = error

    async def submit(self, msg: OutboundSms) -> SubmitResult:
        if self._client is None:
            return SubmitResult(msg.ref, False, [], "not bound", True)
        try:
            encoding.check(msg.text)
        except ValueError as exc:
            return SubmitResult(msg.ref, False, [], f"ESME_RINVMSGLEN: {exc}", False)
        body = {"ref": msg.ref, "to": msg.to, "text": msg.text, "sender": msg.sender,
                "want_receipt": msg.want_receipt}
        try:
            async with self._limit:
                resp = await self._client.post("/send", json=body, headers={"Idempotency-Key": msg.ref})
        except httpx.TimeoutException:
            self._mark(False, "timeout")
            return SubmitResult(msg.ref, False, [], "timeout", True)
        except httpx.HTTPError as exc:
            self._mark(False, str(exc))
            return SubmitResult(msg.ref, False, [], "connection lost", True)
        doc = _json(resp)
        if resp.status_code == 200:
            self._mark(True)
            parts = [str(p) for p in doc.get("parts") or [doc.get("id", "")]]
            return SubmitResult(msg.ref, True, parts)
        retryable = resp.status_code == 429 or resp.status_code >= 500 or bool(doc.get("retryable"))
        self._mark(resp.status_code < 500, f"HTTP {resp.status_code}")
        return SubmitResult(msg.ref, False, [], str(doc.get("error") or f"HTTP {resp.status_code}"), retryable)

    async def lookup(self, ref: str) -> list[str] | None:
        if self._client is None:
            raise ChannelUnavailable("not started")
        try:
            resp = await self._client.get("/lookup", params={"ref": ref})
        except httpx.HTTPError as exc:
            self._mark(False, str(exc))
            raise ChannelUnavailable(str(exc) or "timeout") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise ChannelUnavailable(f"HTTP {resp.status_code}")
        return [str(i) for i in _json(resp).get("ids", [])]

    # --- polling ---------------------------------------------------------------------------------
    async def _poll_loop(self) -> None:
        while True:
            try:
                more = await self._poll("receipts") | await self._poll("mo")
                self._mark(True)
            except httpx.HTTPError as exc:
                self._mark(False, str(exc) or type(exc).__name__)
                more = False
            except Exception:  # a failing callback: keep the cursor, try again next round
                log.exception("http channel %s: callback failed", self.name)
                more = False
            if not more:
                await asyncio.sleep(self.poll_s)

    async def _poll(self, kind: str) -> bool:
        """Fetch one page and hand it to the callback; the cursor moves only after the callbacks succeed.
        Returns True when the page was non-empty (poll again at once). Without a callback the request is
        still made (it is the health probe) but nothing is consumed."""
        resp = await self._client.get(f"/{kind}", params={"after": self.cursors[kind]})
        resp.raise_for_status()
        if (self.on_receipt if kind == "receipts" else self.on_mo) is None:
            return False
        doc = _json(resp)
        items = doc.get("items", [])
        for item in items:
            if kind == "receipts":
                await self._emit_receipt(Receipt(str(item.get("id", "")).strip(), receipt_state(item.get("status")),
                                                 str(item.get("error", "")), _when(item.get("done_at"))))
            else:
                await self._emit_mo(MoMessage(str(item.get("sender", "")), str(item.get("to", "")),
                                              str(item.get("text", "")),
                                              _when(item.get("received_at")) or datetime.now(UTC)))
            self.cursors[kind] += 1
        self.cursors[kind] = int(doc.get("next", self.cursors[kind]))
        return bool(items)


def _json(resp: httpx.Response) -> dict:
    try:
        doc = resp.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None

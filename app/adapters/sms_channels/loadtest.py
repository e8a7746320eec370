"""Measure SMPP submit throughput against a running SMSC (e.g. `python -m app smsc --port 2775`).

    python -m app.adapters.sms_channels.loadtest --port 2775 -n 20000 [--text "..."] [--window 64]

Prints submits/s and segments/s. Used for the SMS-11 figure (> 3,000 submit/s on loopback).
"""
from __future__ import annotations

import argparse
import asyncio
import time

from app.adapters.sms_channels.base import OutboundSms
from app.adapters.sms_channels.encoding import segment_count
from app.adapters.sms_channels.factory import make_channel
from app.adapters.sms_channels.smsc_cli import run_fast


async def run(host: str, port: int, n: int, text: str, window: int, concurrency: int, receipts: bool) -> dict:
    ch = make_channel("load", "smpp", {"host": host, "port": port, "system_id": "tc", "password": "secret",
                                       "window": window})
    got = []

    async def on_receipt(r) -> None:
        got.append(r)

    ch.on_receipt = on_receipt
    await ch.start()
    if not await ch.wait_bound(5):
        raise SystemExit(f"could not bind: {ch.last_error}")
    sem = asyncio.Semaphore(concurrency)
    prefix = f"L{int(time.time())}-"

    async def one(i: int):
        async with sem:
            return await ch.submit(OutboundSms(f"{prefix}{i}", "13800138000", text, want_receipt=receipts))

    t0 = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(n)))
    dt = time.perf_counter() - t0
    expected = n * segment_count(text) if receipts else 0
    while len(got) < expected and time.perf_counter() - t0 < dt * 3 + 10:
        await asyncio.sleep(0.05)
    total = time.perf_counter() - t0
    await ch.stop()
    ok = sum(r.ok for r in results)
    return {"submits": n, "ok": ok, "seconds": round(dt, 3), "submit_per_s": round(n / dt),
            "segments_per_s": round(n * segment_count(text) / dt),
            "receipts": len(got), "seconds_until_all_receipts": round(total, 3) if receipts else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2775)
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--text", default="Tongchuang load test")
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=2000, help="submit() calls in flight")
    ap.add_argument("--receipts", action="store_true", help="ask for receipts and wait for all of them")
    a = ap.parse_args()
    print(run_fast(run(a.host, a.port, a.n, a.text, a.window, a.concurrency, a.receipts)))


if __name__ == "__main__":
    main()

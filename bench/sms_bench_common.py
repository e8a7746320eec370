"""Shared set-up of the SMS benchmarks (bench/sms_throughput.py, bench/sms_crash.py): the simulator and
dispatcher processes, a channel pointing at the simulator, a funded account and an API key."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers


def simulator(port: int, control: int, log_path: str, *extra: str) -> wb.Server:
    cmd = [sys.executable, "-m", "app", "smsc", "--host", wb.HOST, "--port", str(port), "--control-port",
           str(control), "--log", log_path, *extra]
    server = wb.Server("smsc", cmd, wb.app_env(""), control, "/stats")
    return server


def dispatcher(db_url: str, name: str = "dispatcher") -> wb.Server:
    """SMS_BENCH_PROFILE=<file> runs it under cProfile (written when it stops on SIGTERM)."""
    profile = os.environ.get("SMS_BENCH_PROFILE")
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    return wb.Server(name, [sys.executable, *prefix, "-m", "app", "sms-dispatcher"], wb.app_env(db_url), 0, "")


async def configure(db_url: str, smpp_port: int, *, balance: int, window: int = 256) -> tuple[int, str]:
    """One channel at the simulator, the HQ account funded and unthrottled, an API key: (account, raw key)."""
    import asyncpg

    con = await asyncpg.connect(db_url)
    try:
        await con.execute("DELETE FROM sms_channel")
        config = {"host": wb.HOST, "port": smpp_port, "system_id": "tc", "password": "secret", "window": window,
                  "timeout_s": 10, "reconnect_min_s": 0.2, "reconnect_max_s": 2}
        await con.execute("INSERT INTO sms_channel (name, kind, config, weight, max_tps) VALUES"
                          " ('bench-sim', 'smpp', $1::jsonb, 100, 0)", json.dumps(config))
        account = await con.fetchval("SELECT id FROM sms_account WHERE NOT is_system ORDER BY id LIMIT 1")
        await con.execute("UPDATE sms_account SET max_tps = 0, low_balance_alert = 0 WHERE id = $1", account)
        async with con.transaction():  # top up through the ledger so balance == ledger sum holds
            after = await con.fetchval("UPDATE sms_account SET balance = balance + $2 WHERE id = $1 RETURNING balance",
                                       account, balance)
            await con.execute("INSERT INTO sms_ledger (account, kind, amount, balance_after, note) VALUES"
                              " ($1, 'topup', $2, $3, 'bench')", account, balance, after)
        raw = "tcsms_" + secrets.token_urlsafe(30)
        await con.execute("INSERT INTO sms_api_key (account, name, prefix, key_hash, scopes, rate_per_sec)"
                          " VALUES ($1, 'bench', $2, $3, '{send,report,mo}', 10000)", account, raw[:12],
                          hashlib.sha256(raw.encode()).hexdigest())
        return account, raw
    finally:
        await con.close()


async def wait_until(db_url: str, sql: str, done, timeout: float, every: float = 0.5, on_tick=None):
    """Poll `sql` (one value) until done(value); returns [(t, value)] samples."""
    import asyncpg

    con = await asyncpg.connect(db_url)
    samples = []
    try:
        end = time.monotonic() + timeout
        while True:
            value = await con.fetchval(sql)
            samples.append((time.monotonic(), value))
            if on_tick:
                on_tick(value)
            if done(value) or time.monotonic() > end:
                return samples
            await asyncio.sleep(every)
    finally:
        await con.close()


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0

"""Exactly-once under crashes (SMS-10): send N messages through the HTTP API while the dispatcher is
killed with SIGKILL, PostgreSQL is stopped in immediate mode (a crash: no shutdown checkpoint) and
restarted, and the web process is SIGKILLed, at random moments. Then the SMSC simulator's witness log
(one line per accepted segment, with our ref) is compared with the database:

    submitted   distinct messages the SMSC accepted
    delivered   messages whose delivery receipt the database recorded
    lost        messages accepted by the API (in the database) that never reached the SMSC
    duplicated  messages the SMSC accepted more than once

    .venv/bin/python bench/sms_crash.py [--messages 100000] [--events 12] [--seed 7] [--keep]

Runs on its own PostgreSQL cluster in a temporary folder (initdb from the embedded server's binaries,
fsync and synchronous_commit on), so the dev database is never touched; the cluster is removed at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import sms_bench_common as common
from sms_bench_common import wb


class Cluster:
    """A throw-away PostgreSQL cluster run as the embedded server's unprivileged user."""

    def __init__(self, port: int):
        from app.core import pg_embedded

        self.pg, self.port = pg_embedded, port
        self.data = Path(tempfile.mkdtemp(prefix="tc-smscrash-"))
        self.data.chmod(0o700)
        self.pg._chown(self.data)

    def _ctl(self, *args: str) -> None:
        subprocess.run([str(self.pg.bindir() / "pg_ctl"), "-D", str(self.data), *args], check=True,
                       capture_output=True, text=True, **self.pg._run_as())

    def init(self) -> None:
        subprocess.run([str(self.pg.bindir() / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale=C.UTF-8"], check=True, capture_output=True, **self.pg._run_as())
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.data}'\n"
                       "max_connections = 100\nshared_buffers = 128MB\nfsync = on\nsynchronous_commit = on\n")

    def start(self) -> None:
        self._ctl("start", "-w", "-t", "60", "-l", str(self.data / "server.log"))

    def crash(self) -> None:
        """Immediate stop = what a power cut looks like to the data: recovery from WAL at next start."""
        self._ctl("stop", "-m", "immediate", "-w")

    def destroy(self) -> None:
        subprocess.run([str(self.pg.bindir() / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate"],
                       capture_output=True, **self.pg._run_as())
        shutil.rmtree(self.data, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"


class Supervised:
    """A process that is restarted whenever it is not running (as systemd would)."""

    def __init__(self, server: wb.Server):
        self.server, self.kills = server, 0

    def ensure(self) -> None:
        if self.server.proc is None or self.server.proc.poll() is not None:
            if self.server.proc is not None:
                self.server._log.close()
                self.server.proc = None
            self.server.start()

    def kill9(self) -> None:
        if self.server.proc is not None and self.server.proc.poll() is None:
            os.killpg(self.server.proc.pid, signal.SIGKILL)
            self.server.proc.wait()
            self.kills += 1


async def send_all(base: str, key: str, total: int, batch: int, state: dict) -> None:
    """Post batches until `total` numbers were accepted; a batch that failed (web killed, database away)
    is simply posted again later: what counts is what the database holds."""
    import httpx

    n = 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as http:
        while state["accepted"] < total:
            size = min(batch, total - state["accepted"])
            to = [f"13{i:09d}" for i in range(n, n + size)]
            try:
                resp = await http.post("/api/sms/v1/batches", json={"to": to, "text": "【同窗】exactly once 测试"})
                if resp.status_code == 202:
                    state["accepted"] += resp.json()["accepted"]
                    n += size
                    continue
                state["api_errors"] += 1
            except httpx.HTTPError:
                state["api_errors"] += 1
            n += size  # fresh numbers next time: a batch whose answer was lost may still have been stored
            await asyncio.sleep(0.3)


async def chaos(events: int, rnd: random.Random, cluster: Cluster, disp: Supervised, web: Supervised,
                state: dict, log: list) -> None:
    cycle = ["dispatcher", "postgres", "dispatcher", "web"]  # every kind of crash, at random moments
    for i in range(events):
        await asyncio.sleep(rnd.uniform(1.5, 5.0))
        action = cycle[i % len(cycle)]
        t = round(time.monotonic() - state["t0"], 1)
        if action == "dispatcher":
            disp.kill9()
            await asyncio.sleep(rnd.uniform(0.2, 2.0))
        elif action == "web":
            web.kill9()
            await asyncio.sleep(rnd.uniform(0.2, 1.0))
        else:
            cluster.crash()
            await asyncio.sleep(rnd.uniform(0.5, 3.0))
            cluster.start()
        log.append((t, action))
        wb.log(f"   chaos at {t}s: {action}")


async def supervise(disp: Supervised, web: Supervised, stop: asyncio.Event) -> None:
    while not stop.is_set():
        disp.ensure()
        web.ensure()
        await asyncio.sleep(0.5)


async def db_value(url: str, sql: str):
    import asyncpg

    for _ in range(120):
        try:
            con = await asyncpg.connect(url)
            try:
                return await con.fetchval(sql)
            finally:
                await con.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await asyncio.sleep(0.5)
    raise wb.BenchError("database not reachable")


async def run(args, cluster: Cluster, db_url: str, smpp: int, control: int, witness: str) -> dict:
    _account, key = await common.configure(db_url, smpp, balance=args.messages * 3)
    web_port = wb.free_port()
    disp = Supervised(common.dispatcher(db_url))
    web = Supervised(wb.product_server(db_url, 1, web_port))
    rnd = random.Random(args.seed)
    state = {"accepted": 0, "api_errors": 0, "t0": time.monotonic()}
    stop, chaos_log = asyncio.Event(), []
    web.ensure()
    web.server.wait_ready()
    sup = asyncio.create_task(supervise(disp, web, stop))
    sender = asyncio.create_task(send_all(web.server.base, key, args.messages, args.batch, state))
    await chaos(args.events, rnd, cluster, disp, web, state, chaos_log)
    await sender
    wb.log(f"all {state['accepted']} accepted; chaos over; waiting for the queue to drain")
    open_sql = "SELECT count(*) FROM sms_message WHERE status IN ('scheduled', 'queued', 'submitting')"
    deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < deadline and await db_value(db_url, open_sql):
        await asyncio.sleep(1)
    undelivered = "SELECT count(*) FROM sms_message WHERE status = 'submitted'"
    while time.monotonic() < deadline and await db_value(db_url, undelivered):
        await asyncio.sleep(1)
    stop.set()
    await sup
    disp.server.stop()
    web.server.stop()
    return {"accepted_by_api_client": state["accepted"], "api_errors": state["api_errors"],
            "dispatcher_kills": disp.kills, "web_kills": web.kills,
            "postgres_crashes": sum(1 for _t, a in chaos_log if a == "postgres"), "chaos": chaos_log,
            "seconds": round(time.monotonic() - state["t0"], 1)}


async def verdict(db_url: str, witness: str) -> dict:
    import asyncpg

    con = await asyncpg.connect(db_url)
    try:
        rows = await con.fetch("SELECT id, status, segments, attempt FROM sms_message")
    finally:
        await con.close()
    first_segments = collections.Counter()
    with open(witness, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[2].startswith("1/"):
                first_segments[parts[1]] += 1
    ids = {f"m{r['id']}" for r in rows}
    submitted = sum(1 for ref in ids if first_segments.get(ref))
    return {"in_database": len(rows), "submitted": submitted,
            "delivered": sum(1 for r in rows if r["status"] == "delivered"),
            "lost": len(ids) - submitted,
            "duplicated": sum(1 for ref in ids if first_segments.get(ref, 0) > 1),
            "unknown_refs_at_smsc": sum(1 for ref in first_segments if ref not in ids),
            # claimed more than once: caught in flight by a crash (reconciled by lookup) or retried
            "claimed_again": sum(1 for r in rows if r["attempt"] > 1),
            "statuses": dict(collections.Counter(r["status"] for r in rows))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--events", type=int, default=12, help="crashes to cause")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--drain-timeout", type=int, default=600)
    ap.add_argument("--keep", action="store_true", help="keep the cluster folder and witness log")
    args = ap.parse_args(argv)
    cluster = Cluster(wb.free_port())
    smpp, control = wb.free_port(), wb.free_port()
    witness = tempfile.mktemp(prefix="smsc-witness-", suffix=".log")
    sim = common.simulator(smpp, control, witness, "--receipt-delay-ms", "200", "--latency-ms", "1",
                           "--fail-rate", "0.002")
    result: dict = {"messages": args.messages, "seed": args.seed}
    try:
        wb.log(f"PostgreSQL cluster in {cluster.data} on port {cluster.port}")
        cluster.init()
        cluster.start()
        asyncio.run(wb._admin(cluster.url(), 'CREATE DATABASE "tc_crash"'))
        db_url = cluster.url("tc_crash")
        wb.run_app_command(db_url, "migrate")
        wb.run_app_command(db_url, "seed")
        sim.start()
        sim.wait_ready()
        result["run"] = asyncio.run(run(args, cluster, db_url, smpp, control, witness))
        sim.stop()  # the simulator flushes its witness log on the way out
        result["verdict"] = asyncio.run(verdict(db_url, witness))
    finally:
        sim.stop()
        if args.keep:
            wb.log(f"kept {cluster.data} and {witness}")
        else:
            cluster.destroy()
            Path(witness).unlink(missing_ok=True)
    v, r = result["verdict"], result["run"]
    print(f"\nSMS exactly-once under crashes: {args.messages} messages, {r['seconds']} s, "
          f"{r['dispatcher_kills']} dispatcher kill -9, {r['postgres_crashes']} PostgreSQL crash-restarts, "
          f"{r['web_kills']} web kill -9")
    print(f"  in database (accepted) {v['in_database']}")
    print(f"  submitted              {v['submitted']}")
    print(f"  delivered              {v['delivered']}")
    print(f"  lost                   {v['lost']}")
    print(f"  duplicated             {v['duplicated']}")
    print(f"  claimed again          {v['claimed_again']}   (in flight at a crash or retried: looked up first)")
    print(f"  statuses               {v['statuses']}")
    wb.RESULTS.mkdir(parents=True, exist_ok=True)
    (wb.RESULTS / "sms_crash.json").write_text(json.dumps(result, indent=2))
    return 0 if v["lost"] == 0 and v["duplicated"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

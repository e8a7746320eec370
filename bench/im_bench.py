"""Messenger benchmark (IM-13): open SSE connections per web process, fan-out into a 1,000-member group and across
1:1 chats, delivery latency, memory per connection — on one web process (PostgreSQL LISTEN/NOTIFY) and on two
web processes sharing a real redis-server.

    .venv/bin/python bench/im_bench.py [--connections 5000] [--group 1000] [--rate 4] [--seconds 10]
                                       [--pairs 300] [--no-redis] [--keep-db]

Steps: a fresh database `tc_bench_im` (migrations, demo seed, --group users); one group of --group members and
--pairs 1:1 chats; a session per member (made directly: password hashing is not what is measured); the product
served by granian (1 worker per process) on 127.0.0.1; --connections SSE streams opened by raw sockets (members
round-robin: several tabs each), all on the group page; then
1. group fan-out: the bench posts --rate messages/s into the group for --seconds (service layer: the insert, the
   event row and the publish a POST does), every stream must receive every message; deliveries/s, p50/p99 latency
   from the insert's commit to the byte arriving at the stream;
2. 1:1 chats: 20 senders post as fast as they can across the pairs for --seconds; messages/s committed, and the
   latency to the receiver's stream;
3. the same group fan-out with two web processes on redis (unless --no-redis), streams split between them.
Server memory (RSS) before and after opening the streams gives the memory per connection. Prints figures and
writes bench/results/im_bench.json; it is not a test. Talks to 127.0.0.1 only, stops by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_im"
STAMP = re.compile(rb"t=(\d+\.\d+)")


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


async def prepare(group_size: int, pairs: int) -> dict:
    from app.core import db, sessions
    from app.core.audit import SYSTEM, Actor
    from app.im import conversations

    await db.start_pool(min_size=2, max_size=30)
    try:
        users = [r["id"] for r in await db.fetch(
            "SELECT id FROM app_user WHERE is_active AND username NOT IN ('admin') ORDER BY id LIMIT $1", group_size)]
        group = await conversations.create_group(SYSTEM, "压测大群", users)
        chats = []
        for i in range(min(pairs, len(users) // 2)):
            a, b = users[2 * i], users[2 * i + 1]
            chats.append((a, b, await conversations.direct(Actor(a, f"u{a}"), b)))
        ua = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47"
        cookies = {u: await sessions.create(u, "127.0.0.1", ua) for u in users}
        return {"group": group, "users": users, "chats": chats, "cookies": cookies}
    finally:
        await db.close_pool()


class Streams:
    """Raw-socket SSE readers: cheaper than an HTTP client, so the load generator leaves the cores to the server."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.received = 0
        self.tasks: list[asyncio.Task] = []
        self.open = 0
        self.failed = 0

    async def _one(self, port: int, path: str, cookie: str, ready: asyncio.Event) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: tc_session={cookie}\r\n"
                          "Accept: text/event-stream\r\n\r\n").encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            if b" 200 " not in head.split(b"\r\n", 1)[0]:
                self.failed += 1
                return
        except (OSError, asyncio.IncompleteReadError):
            self.failed += 1
            return
        self.open += 1
        ready.set()
        tail = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                now = time.time()
                data = tail + chunk
                for match in STAMP.finditer(data):
                    self.latencies.append(now - float(match.group(1)))
                    self.received += 1
                tail = data[-40:]
                if STAMP.search(tail):  # counted already: keep only what cannot hold a whole stamp
                    tail = b""
        finally:
            self.open -= 1
            writer.close()

    async def open_many(self, targets: list[tuple[int, str, str]], parallel: int = 200) -> float:
        gate = asyncio.Semaphore(parallel)
        started = time.perf_counter()

        async def start(port: int, path: str, cookie: str) -> None:
            async with gate:
                ready = asyncio.Event()
                self.tasks.append(asyncio.ensure_future(self._one(port, path, cookie, ready)))
                await asyncio.wait_for(ready.wait(), 60)

        await asyncio.gather(*(start(*t) for t in targets), return_exceptions=True)
        return time.perf_counter() - started

    def reset(self) -> None:
        self.latencies, self.received = [], 0

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def post_group(group: int, sender: int, rate: float, seconds: float) -> int:
    from app.core.audit import Actor
    from app.im import messages

    actor, sent, interval = Actor(sender, f"u{sender}"), 0, 1 / rate
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await messages.send(actor, group, f"t={time.time():.6f}")
        sent += 1
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return sent


async def post_direct(chats: list[tuple[int, int, int]], seconds: float, senders: int = 20) -> tuple[int, float]:
    from app.core.audit import Actor
    from app.im import messages

    sent = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def one(k: int) -> None:
        nonlocal sent
        i = k
        while time.perf_counter() < deadline:
            a, _b, chat = chats[i % len(chats)]
            await messages.send(Actor(a, f"u{a}"), chat, f"t={time.time():.6f}")
            sent += 1
            i += senders

    await asyncio.gather(*(one(k) for k in range(senders)))
    return sent, time.perf_counter() - started


async def settle(streams: Streams, expected: int, timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while streams.received < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)


async def scenario(label: str, servers: list[wb.Server], data: dict, args, *, direct: bool) -> dict:
    from app.core import db, realtime

    await db.start_pool(min_size=2, max_size=30)
    streams = Streams()
    try:
        last = await db.fetchval("SELECT coalesce(max(id), 0) FROM im_event")
        users, cookies = data["users"], data["cookies"]
        targets = []
        for n in range(args.connections):
            user = users[n % len(users)]
            server = servers[n % len(servers)]
            targets.append((server.port, f"/h5/im/stream?c={data['group']}&after={last}", cookies[user]))
        pids = [p for s in servers for p in wb.group_pids(s.proc.pid)]
        before = rss_kb(pids)
        opened_in = await streams.open_many(targets)
        await asyncio.sleep(2)
        after = rss_kb([p for s in servers for p in wb.group_pids(s.proc.pid)])
        result: dict = {"label": label, "web_processes": len(servers), "streams_open": streams.open,
                        "streams_failed": streams.failed, "open_s": round(opened_in, 1),
                        "rss_before_mb": round(before / 1024, 1), "rss_after_mb": round(after / 1024, 1),
                        "kb_per_connection": round((after - before) / max(1, streams.open), 1)}
        wb.log(f"{label}: {streams.open} streams open ({streams.failed} failed) in {opened_in:.1f}s")

        streams.reset()
        sender = users[0]
        started = time.perf_counter()
        sent = await post_group(data["group"], sender, args.rate, args.seconds)
        expected = sent * streams.open
        await settle(streams, expected)
        wall = time.perf_counter() - started
        result["group"] = {"members": len(users), "messages": sent, "rate_per_s": args.rate,
                           "deliveries": streams.received, "expected": expected,
                           "deliveries_per_s": round(streams.received / wall),
                           "p50_ms": pct(streams.latencies, .5), "p99_ms": pct(streams.latencies, .99)}
        wb.log(f"{label}: group {result['group']}")

        if direct:
            await streams.close()
            streams = Streams()
            last = await db.fetchval("SELECT coalesce(max(id), 0) FROM im_event")
            receivers = [(servers[i % len(servers)].port, f"/h5/im/stream?c={chat}&after={last}", cookies[b])
                         for i, (_a, b, chat) in enumerate(data["chats"])]
            await streams.open_many(receivers)
            await asyncio.sleep(1)
            sent, wall = await post_direct(data["chats"], args.seconds)
            await settle(streams, sent, 20)
            result["direct"] = {"pairs": len(data["chats"]), "messages": sent, "messages_per_s": round(sent / wall),
                                "delivered": streams.received, "p50_ms": pct(streams.latencies, .5),
                                "p99_ms": pct(streams.latencies, .99)}
            wb.log(f"{label}: direct {result['direct']}")
        return result
    finally:
        await streams.close()
        await realtime.stop()
        await db.close_pool()


def serve(db_url: str, n: int, **env: str) -> list[wb.Server]:
    servers = []
    for i in range(n):
        port = wb.free_port()
        server = wb.Server(f"im{i}", [sys.executable, "-m", "app", "serve"],
                           wb.app_env(db_url, PORT=str(port), WEB_WORKERS="1", TC_RATELIMIT_FACTOR="1000", **env),
                           port, "/readyz")
        server.start()
        servers.append(server)
    for server in servers:
        server.wait_ready()
    return servers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--group", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=4, help="group messages per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.connections + 1000)), hard))
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    wb.DB_NAME = DB_NAME
    results: list[dict] = []
    try:
        wb.prepare_database(pg_url, args.group + 50)
        os.environ["DATABASE_URL"] = db_url
        data = asyncio.run(prepare(args.group, args.pairs))
        servers = serve(db_url, 1)
        try:
            results.append(asyncio.run(scenario("1 process, PostgreSQL LISTEN/NOTIFY", servers, data, args,
                                                direct=True)))
        finally:
            for s in servers:
                s.stop()
        if not args.no_redis:
            sys.path.insert(0, str(ROOT))
            from tests.helpers import RedisServer

            with RedisServer(wb.RESULTS / "redis.log") as redis:
                os.environ["TC_REALTIME_URL"] = redis.url
                servers = serve(db_url, 2, TC_REALTIME_URL=redis.url)
                try:
                    results.append(asyncio.run(scenario("2 processes, Redis", servers, data, args, direct=True)))
                finally:
                    for s in servers:
                        s.stop()
                    os.environ.pop("TC_REALTIME_URL", None)
        print(json.dumps(results, indent=2, ensure_ascii=False))
        (BENCH / "results").mkdir(exist_ok=True)
        (BENCH / "results" / "im_bench.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    finally:
        if not args.keep_db:
            wb.drop_database(pg_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

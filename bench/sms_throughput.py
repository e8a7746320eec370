"""SMS throughput (SMS-13): over real HTTP and real SMPP on loopback, with the raw PostgreSQL insert rate
measured in the same run as the yardstick.

    .venv/bin/python bench/sms_throughput.py [--messages 100000] [--clients 4] [--batch 1000] [--keep-db]

Steps: fresh database `tc_bench_sms` (migrations + seed); the SMSC simulator (`python -m app smsc`),
the web server (`python -m app serve`, 1 worker) and the dispatcher (`python -m app sms-dispatcher`)
as separate processes;
 1. accept: `--clients` concurrent clients POST /api/sms/v1/batches of `--batch` numbers (dispatcher
    stopped, so the figure is the API's) → accepted msg/s;
 2. dispatch: the dispatcher starts and drains the backlog to the SMSC → dispatched msg/s (first to last
    submit), checked against the simulator's own count;
 3. latency: a paced load (`--paced-rate` msg/s for `--paced-seconds`) with everything running →
    end-to-end latency from API acceptance to the delivery receipt recorded, p50/p99;
 4. raw PostgreSQL: the same rows inserted with the same batch size and concurrency straight into a copy
    of sms_message (same indexes) → rows/s, and the ratios.
Prints a table and writes bench/results/sms_throughput.json; stops everything by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time

import sms_bench_common as common
from sms_bench_common import wb

DB_NAME = "tc_bench_sms"


async def accept(base: str, key: str, total: int, clients: int, batch: int, start_number: int = 0) -> dict:
    import httpx

    queue = list(range(start_number, start_number + total, batch))
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    accepted = 0

    async def client() -> None:
        nonlocal accepted
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            while queue:
                first = queue.pop()
                to = [f"13{n:09d}" for n in range(first, min(first + batch, start_number + total))]
                t0 = time.perf_counter()
                resp = await http.post("/api/sms/v1/batches",
                                       json={"to": to, "text": "【同窗】校友年会将于本周六举行，欢迎参加。"})
                latencies.append(time.perf_counter() - t0)
                if resp.status_code != 202:
                    raise wb.BenchError(f"API answered {resp.status_code}: {resp.text[:300]}")
                accepted += resp.json()["accepted"]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {"accepted": accepted, "seconds": round(wall, 2), "accepted_per_s": round(accepted / wall),
            "request_p50_ms": round(common.percentile(latencies, .5) * 1000, 1),
            "request_p99_ms": round(common.percentile(latencies, .99) * 1000, 1)}


async def paced(base: str, key: str, rate: int, seconds: int, start_number: int) -> int:
    """Send `rate` msg/s in batches of rate/10 every 100 ms; returns messages sent."""
    import httpx

    per_tick = max(1, rate // 10)
    sent = 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        t0 = time.monotonic()
        for tick in range(seconds * 10):
            to = [f"15{n:09d}" for n in range(start_number + sent, start_number + sent + per_tick)]
            resp = await http.post("/api/sms/v1/batches", json={"to": to, "text": "paced"})
            sent += resp.json()["accepted"]
            await asyncio.sleep(max(0.0, t0 + (tick + 1) / 10 - time.monotonic()))
    return sent


async def raw_insert(db_url: str, total: int, clients: int, batch: int) -> dict:
    """The same rows, same batch size and concurrency, straight into a copy of sms_message."""
    import asyncpg

    admin = await asyncpg.connect(db_url)
    await admin.execute("DROP TABLE IF EXISTS sms_message_raw; CREATE TABLE sms_message_raw"
                        " (LIKE sms_message INCLUDING ALL)")
    bid, account = await admin.fetchval("SELECT id FROM sms_batch LIMIT 1"), await admin.fetchval(
        "SELECT account FROM sms_batch LIMIT 1")
    pool = await asyncpg.create_pool(db_url, min_size=clients, max_size=clients)
    queue = list(range(0, total, batch))

    async def worker() -> None:
        while queue:
            first = queue.pop()
            phones = [f"13{n:09d}" for n in range(first, min(first + batch, total))]
            async with pool.acquire() as con:
                await con.execute(
                    "INSERT INTO sms_message_raw (batch, account, phone, text, sender, encoding, segments, status,"
                    " next_attempt_at, cost) SELECT $1, $2, p, $3, '', 'ucs2', 1, 'queued', now(), 1"
                    " FROM unnest($4::text[]) AS p", bid, account, "【同窗】校友年会将于本周六举行，欢迎参加。", phones)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - started
    await pool.close()
    await admin.execute("DROP TABLE sms_message_raw")
    await admin.close()
    return {"rows": total, "seconds": round(wall, 2), "rows_per_s": round(total / wall)}


def rate_of(samples: list[tuple[float, int]], total: int) -> tuple[float, float]:
    """(seconds from the first progress to reaching total, msg/s over that span)."""
    start = next((t for t, v in samples if v > 0), samples[0][0])
    end = next((t for t, v in samples if v >= total), samples[-1][0])
    done = max(v for _t, v in samples)
    span = max(end - start, 1e-6)
    return span, done / span


async def latency(db_url: str, since_id: int) -> dict:
    rows = await wb._query(db_url, "SELECT extract(epoch FROM done_at - created_at) AS s FROM sms_message"
                                   f" WHERE id > {since_id} AND done_at IS NOT NULL")
    values = [float(r["s"]) for r in rows]
    return {"messages": len(values), "p50_ms": round(common.percentile(values, .5) * 1000, 1),
            "p99_ms": round(common.percentile(values, .99) * 1000, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--paced-rate", type=int, default=1000)
    ap.add_argument("--paced-seconds", type=int, default=10)
    ap.add_argument("--keep-db", action="store_true")
    args = ap.parse_args(argv)

    wb.DB_NAME = DB_NAME
    pg_url = wb.server_url()
    db_url, _users = wb.prepare_database(pg_url, 0)
    smpp, control, web = wb.free_port(), wb.free_port(), wb.free_port()
    witness = tempfile.mktemp(prefix="smsc-", suffix=".log")
    sim = common.simulator(smpp, control, witness)
    server = wb.product_server(db_url, 1, web)
    disp = common.dispatcher(db_url)
    result: dict = {"messages": args.messages, "clients": args.clients, "batch": args.batch}
    try:
        _account, key = asyncio.run(common.configure(db_url, smpp, balance=args.messages * 3))
        sim.start()
        sim.wait_ready()
        server.start()
        server.wait_ready()
        wb.log(f"1. accept {args.messages} messages over the API")
        result["accept"] = asyncio.run(accept(server.base, key, args.messages, args.clients, args.batch))
        wb.log(f"   {result['accept']}")

        wb.log("2. dispatch the backlog to the SMSC")
        disp.start()
        sql = "SELECT count(*) FROM sms_message WHERE status IN ('submitted', 'delivered', 'failed')"
        samples = asyncio.run(common.wait_until(db_url, sql, lambda v: v >= args.messages, timeout=600, every=0.25))
        span, per_s = rate_of(samples, args.messages)
        import httpx

        smsc = httpx.get(f"http://{wb.HOST}:{control}/stats").json()
        result["dispatch"] = {"dispatched": samples[-1][1], "seconds": round(span, 2), "dispatched_per_s": round(per_s),
                              "smsc_accepted": smsc.get("accepted")}
        wb.log(f"   {result['dispatch']}")
        delivered = asyncio.run(common.wait_until(db_url, "SELECT count(*) FROM sms_message WHERE status = 'delivered'",
                                                  lambda v: v >= args.messages, timeout=120))
        result["dispatch"]["delivered"] = delivered[-1][1]

        wb.log(f"3. paced load {args.paced_rate} msg/s for {args.paced_seconds}s, end-to-end latency")
        last_id = asyncio.run(wb._query(db_url, "SELECT max(id) AS m FROM sms_message"))[0]["m"]
        sent = asyncio.run(paced(server.base, key, args.paced_rate, args.paced_seconds, args.messages))
        asyncio.run(common.wait_until(db_url, f"SELECT count(*) FROM sms_message WHERE id > {last_id}"
                                              " AND done_at IS NOT NULL", lambda v: v >= sent, timeout=60))
        result["latency"] = {"rate": args.paced_rate, "sent": sent, **asyncio.run(latency(db_url, last_id))}
        wb.log(f"   {result['latency']}")

        wb.log("4. raw PostgreSQL batch insert, same batch size and concurrency")
        result["raw_insert"] = asyncio.run(raw_insert(db_url, args.messages, args.clients, args.batch))
        raw = result["raw_insert"]["rows_per_s"]
        result["ratios"] = {"accepted_vs_raw_insert": round(result["accept"]["accepted_per_s"] / raw, 3),
                            "dispatched_vs_raw_insert": round(result["dispatch"]["dispatched_per_s"] / raw, 3)}
    finally:
        disp.stop()
        server.stop()
        sim.stop()
        if not args.keep_db:
            wb.drop_database(pg_url)
    print(f"\nSMS throughput ({args.messages} messages, {args.clients} clients × batches of {args.batch})")
    print(f"  accepted at the API   {result['accept']['accepted_per_s']:>8} msg/s"
          f"   (request p50 {result['accept']['request_p50_ms']} ms, p99 {result['accept']['request_p99_ms']} ms)")
    print(f"  dispatched to SMSC    {result['dispatch']['dispatched_per_s']:>8} msg/s"
          f"   (SMSC counted {result['dispatch']['smsc_accepted']}, delivered {result['dispatch']['delivered']})")
    print(f"  receipt latency       p50 {result['latency']['p50_ms']} ms, p99 {result['latency']['p99_ms']} ms"
          f"   at {args.paced_rate} msg/s paced")
    print(f"  raw PG batch insert   {result['raw_insert']['rows_per_s']:>8} rows/s")
    print(f"  ratios                accepted/raw {result['ratios']['accepted_vs_raw_insert']},"
          f" dispatched/raw {result['ratios']['dispatched_vs_raw_insert']}")
    wb.RESULTS.mkdir(parents=True, exist_ok=True)
    (wb.RESULTS / "sms_throughput.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Mall checkout benchmark (MALL-06): 200 concurrent buyers over HTTP on loopback.

    .venv/bin/python bench/mall_checkout.py [--buyers 200] [--seconds 15] [--workers 1] [--keep-db]

It prints figures; it is not a test. Steps:
1. a fresh database `tc_bench_mall` on the embedded PostgreSQL (or $DATABASE_URL's server): migrations, demo seed;
2. N buyers (password, points, a default address), a "scarce" SKU with 50 units and a "plenty" SKU;
3. the product served by granian (bench/web_baseline.py helpers) on a free 127.0.0.1 port; every buyer logs in;
4. burst: all buyers press "Confirm order" on the scarce SKU at once → sold must be exactly 50, no negative
   balance, ledger consistent; latency of those requests;
5. throughput: for --seconds every buyer loops checkout page → confirm on the plenty SKU; checkouts/s,
   p50/p95/p99 of the confirm POST (303 = order placed);
6. the server stopped and the database dropped (unless --keep-db). Stops by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_mall"
PASSWORD = "Demo2026pass"


def log(message: str) -> None:
    print(f"[mall-bench] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def prepare(db_url: str, buyers: int) -> dict:
    """Buyers, stock and points through the app's own services (same rules as production)."""
    os.environ["DATABASE_URL"] = db_url
    from app.core import db
    from app.core.security import hash_password
    from app.points import api as points

    await db.start_pool(min_size=1, max_size=4)
    try:
        org = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
        ids = []
        digest = hash_password(PASSWORD)
        for i in range(buyers):
            uid = await db.fetchval("INSERT INTO app_user (username, name, kind, org, password_hash) VALUES"
                                    " ($1, $1, 'alumni', $2, $3) RETURNING id", f"mb_{i}", org, digest)
            await db.execute("INSERT INTO mall_address (\"user\", name, phone, region_code, region_name, detail,"
                             " is_default) VALUES ($1, '买家', '13800000000', '110108', '北京市 海淀区', '同窗路 1 号',"
                             " TRUE)", uid)
            await points.earn(uid, 1_000_000, key=f"bench-{uid}", reason="bench")
            ids.append(uid)
        skus = {}
        for name, stock in (("scarce", 50), ("plenty", 10_000_000)):
            pid = await db.fetchval("INSERT INTO mall_product (name, status, delivery_modes) VALUES"
                                    " ($1, 'on_shelf', ARRAY['express','pickup']) RETURNING id", f"bench {name}")
            skus[name] = await db.fetchval("INSERT INTO mall_sku (product, price_points, stock) VALUES ($1, 10, $2)"
                                           " RETURNING id", pid, stock)
        return {"users": ids, "skus": skus}
    finally:
        await db.close_pool()


async def check(db_url: str, sku: int) -> dict:
    os.environ["DATABASE_URL"] = db_url
    from app.core import db
    from app.points import api as points

    await db.start_pool(min_size=1, max_size=2)
    try:
        return {"stock_left": await db.fetchval("SELECT stock FROM mall_sku WHERE id = $1", sku),
                "sold": await db.fetchval("SELECT COALESCE(sum(qty), 0) FROM mall_order_item i JOIN mall_order o"
                                          " ON o.id = i.\"order\" WHERE i.sku = $1 AND o.status <> 'cancelled'", sku),
                "min_balance": await db.fetchval("SELECT min(balance) FROM pts_account"),
                "inconsistent": len(await points.ledger_consistent())}
    finally:
        await db.close_pool()


async def login_all(base: str, count: int):
    import httpx

    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    clients = [httpx.AsyncClient(base_url=base, timeout=120, limits=limits) for _ in range(count)]
    sem = asyncio.Semaphore(20)

    async def one(i: int, client) -> None:
        async with sem:
            page = await client.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            done = await client.post("/login", data={"username": f"mb_{i}", "password": PASSWORD,
                                                     "_csrf_token": token, "next": "/h5/mall"})
            if done.status_code != 303:
                raise wb.BenchError(f"login mb_{i}: {done.status_code}")

    await asyncio.gather(*[one(i, c) for i, c in enumerate(clients)])
    return clients


async def checkout_form(client, sku: int) -> dict:
    page = await client.get(f"/h5/mall/checkout?sku={sku}&qty=1")
    fields = dict(re.findall(r'name="(_csrf_token|request_key|address)" value="([^"]+)"', page.text))
    return {**fields, "sku": str(sku), "qty": "1", "delivery": "express", "action": "place"}


async def confirm(client, form: dict) -> tuple[float, int]:
    started = time.perf_counter()
    response = await client.post("/h5/mall/checkout", data=form)
    return time.perf_counter() - started, response.status_code


async def burst(clients, sku: int) -> dict:
    forms = await asyncio.gather(*[checkout_form(c, sku) for c in clients])
    started = time.perf_counter()
    results = await asyncio.gather(*[confirm(c, f) for c, f in zip(clients, forms, strict=True)])
    wall = time.perf_counter() - started
    latencies = [r[0] for r in results]
    return {"requests": len(results), "placed": sum(1 for r in results if r[1] == 303),
            "refused": sum(1 for r in results if r[1] == 422), "errors": sum(1 for r in results if r[1] >= 500),
            "wall_s": wall, "p50_ms": pct(latencies, 50) * 1000, "p95_ms": pct(latencies, 95) * 1000,
            "p99_ms": pct(latencies, 99) * 1000}


async def throughput(clients, sku: int, seconds: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def loop(client) -> None:
        while time.perf_counter() < deadline:
            form = await checkout_form(client, sku)
            took, status = await confirm(client, form)
            latencies.append(took)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*[loop(c) for c in clients])
    wall = time.perf_counter() - started
    return {"checkouts": statuses.get(303, 0), "statuses": statuses, "wall_s": wall,
            "checkouts_per_s": statuses.get(303, 0) / wall, "p50_ms": pct(latencies, 50) * 1000,
            "p95_ms": pct(latencies, 95) * 1000, "p99_ms": pct(latencies, 99) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    server = None
    try:
        asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)',
                              f'CREATE DATABASE "{DB_NAME}"'))
        wb.run_app_command(db_url, "migrate")
        wb.run_app_command(db_url, "seed")
        data = asyncio.run(prepare(db_url, args.buyers))
        server = wb.Server("product", [sys.executable, "-m", "app", "serve"],
                           wb.app_env(db_url, PORT=str(port := wb.free_port()), WEB_WORKERS=str(args.workers),
                                      TC_RATELIMIT_FACTOR="1000"), port, "/readyz")
        server.start()
        server.wait_ready()

        async def run() -> tuple[dict, dict]:
            clients = await login_all(server.base, args.buyers)
            try:
                log(f"{len(clients)} buyers logged in; burst on 50 units")
                first = await burst(clients, data["skus"]["scarce"])
                log(f"throughput for {args.seconds:.0f}s")
                second = await throughput(clients, data["skus"]["plenty"], args.seconds)
                return first, second
            finally:
                await asyncio.gather(*[c.aclose() for c in clients])

        first, second = asyncio.run(run())
        state = asyncio.run(check(db_url, data["skus"]["scarce"]))
        print(f"mall checkout bench — {args.buyers} concurrent buyers, {args.workers} web worker(s), loopback HTTP")
        print(f"burst on 50 units: {first['requests']} confirms → placed {first['placed']}, refused {first['refused']},"
              f" 5xx {first['errors']}; sold {state['sold']}, stock left {state['stock_left']},"
              f" min balance {state['min_balance']}, ledger mismatches {state['inconsistent']}")
        print(f"  wall {first['wall_s']:.2f}s, p50 {first['p50_ms']:.0f} ms, p95 {first['p95_ms']:.0f} ms,"
              f" p99 {first['p99_ms']:.0f} ms")
        print(f"throughput: {second['checkouts']} orders in {second['wall_s']:.1f}s = {second['checkouts_per_s']:.1f}"
              f" checkouts/s; confirm POST p50 {second['p50_ms']:.0f} ms, p95 {second['p95_ms']:.0f} ms,"
              f" p99 {second['p99_ms']:.0f} ms; statuses {second['statuses']}")
        return 0 if state["sold"] == 50 and state["min_balance"] >= 0 and not state["inconsistent"] else 1
    finally:
        if server is not None:
            server.stop()
        if not args.keep_db:
            try:
                asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            except Exception as exc:
                log(f"could not drop {DB_NAME}: {exc}")


if __name__ == "__main__":
    sys.exit(main())

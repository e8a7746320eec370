"""Mall printing benchmark (MALL-07): 500 A4 order sheets (and the other kinds) as ONE PDF.

    .venv/bin/python bench/mall_print.py [--orders 500] [--kinds sheet,label100x150]

Seeds the orders itself inside a transaction on the configured database (the dev DB by default) and
rolls it back at the end, so nothing stays behind. Prints the time of context building and of the
WeasyPrint layout, pages and size (and writes bench/results/mall_print.json). Target: 500 sheets < 30 s.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))


class _Rollback(Exception):
    pass


async def _seed(count: int) -> list[int]:
    from app.core import db

    user = await db.fetchval("SELECT id FROM app_user WHERE username = 'admin'")
    sku = await db.fetchrow("SELECT k.id, k.product, k.code FROM mall_sku k ORDER BY k.id LIMIT 1")
    address = json.dumps({"name": "张三丰", "phone": "13800138000", "region_code": "110108",
                          "region_name": "北京市 北京市 海淀区", "detail": "同窗路 1 号 校友之家 302 室"},
                         ensure_ascii=False)
    ids = await db.fetch(
        "INSERT INTO mall_order (no, \"user\", status, delivery, address, points_total, request_key)"
        " SELECT 'MB' || to_char(now(), 'YYYYMMDD') || lpad(g::text, 6, '0'), $1, 'pending_shipment', 'express',"
        " $2::jsonb, 860, 'bench-print-' || g FROM generate_series(1, $3) g RETURNING id", user, address, count)
    ids = [r["id"] for r in ids]
    await db.execute(
        "INSERT INTO mall_order_item (\"order\", sku, product, name, spec, qty, price_points)"
        " SELECT o, $2, $3, n, '颜色:蓝 尺码:L', 1 + (o % 3), 200 FROM unnest($1::bigint[]) o,"
        " unnest(ARRAY['校友文化衫', '百年校庆明信片套装', '同窗保温杯']) n", ids, sku["id"] if sku else None,
        sku["product"] if sku else None)
    return ids


def _render(printing, ctx) -> tuple[bytes, float]:
    """The render and the CPU seconds it took (the machine may be shared: wall time alone misleads)."""
    started = time.thread_time()
    data = printing.render_sync(ctx)
    return data, time.thread_time() - started


async def run(count: int, kinds: list[str]) -> dict:
    import piccolo_conf  # noqa: F401 - engine configuration
    from app.core import db
    from app.core.audit import SYSTEM
    from app.mall import printing

    await db.start_pool(1, 2)
    results: dict = {"orders": count}
    try:
        async with db.transaction():
            ids = await _seed(count)
            for kind in kinds:
                started = time.perf_counter()
                ctx = await printing.context(SYSTEM, ids, kind)
                built = time.perf_counter()
                data, cpu = await asyncio.to_thread(_render, printing, ctx)
                done = time.perf_counter()
                from pypdf import PdfReader

                pages = len(PdfReader(io.BytesIO(data)).pages)
                results[kind] = {"context_s": round(built - started, 2), "render_s": round(done - built, 2),
                                 "total_s": round(done - started, 2), "render_cpu_s": round(cpu, 2), "pages": pages,
                                 "mb": round(len(data) / 1e6, 2)}
                print(f"{kind}: {count} orders → {pages} pages, {len(data) / 1e6:.2f} MB in {done - started:.1f} s"
                      f" (context {built - started:.2f} s, layout+PDF {done - built:.1f} s wall / {cpu:.1f} s CPU)",
                      flush=True)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await db.close_pool()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--kinds", default="sheet")
    args = parser.parse_args()
    results = asyncio.run(run(args.orders, [k for k in args.kinds.split(",") if k]))
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "mall_print.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

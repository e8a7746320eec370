"""Expert pool benchmark (EXP-15, EXP-16): search p50/p95/p99 over `--experts` (100,000) experts, at the service
layer: the expert list (experts.search: keyword ILIKE, field subtree filter, count + one page) and the smart search
(search.run: fuzzy keyword + a condition tree of 2-3 conditions with an OR group, count + one page + the batched
contact reveal), the queries the admin pages run.

    .venv/bin/python bench/experts_bench.py [--experts 100000] [--rounds 200]

It prints figures; it is not a test. Steps: the embedded PostgreSQL (started if needed) or $DATABASE_URL's
server; a fresh database `tc_bench_exp` (dropped first), migrations, seed (with the demo taxonomy); the experts
generated in SQL; VACUUM ANALYZE; `--rounds` searches per kind in a child process; the database dropped
(unless --keep-db). It stops by itself. Reuses bench/web_baseline.py's database helpers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

DB_NAME = "tc_bench_exp"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GENERATE = """
INSERT INTO exp_expert (name, phone, employer, title, specialty, region, industry, valid_until, fields, source,
                        number, status)
SELECT substr('{s}', 1 + (g % 20), 1) || substr('伟芳娜敏静丽强磊军洋', 1 + (g / 20 % 10), 1) || g::text,
       '17' || lpad(g::text, 9, '0'),
       (ARRAY['市政设计研究院','军民融合发展中心','华信会计师事务所','中科服科技','测试材料有限公司'])[1 + g % 5]
         || (g % 300)::text,
       (ARRAY['高级工程师','副教授','教授','会计师','研究员'])[1 + g % 5],
       (ARRAY['桥梁','隧道','电力','信息安全','审计','辐射防护'])[1 + g % 6] || '方向',
       (ARRAY['北京','上海','广州','成都','武汉'])[1 + g % 5],
       (ARRAY['建筑','能源','金融','信息','制造','医药','交通'])[1 + g % 7],
       DATE '2026-01-01' + (g % 1500),
       ARRAY[(SELECT id FROM exp_field ORDER BY id OFFSET (g % (SELECT count(*) FROM exp_field)) LIMIT 1)],
       'import', 'B' || lpad(g::text, 9, '0'),
       CASE WHEN g % 50 = 0 THEN 'blacklisted' ELSE 'formal' END
FROM generate_series(1, $1) g
"""


def log(message: str) -> None:
    print(f"[exp-bench] {message}", file=sys.stderr, flush=True)


async def _child_search(rounds: int, count: int) -> dict:
    from app import modules
    from app.core import db
    from app.core import query_tree as qt
    from app.core.audit import SYSTEM
    from app.core.pagination import PageRequest
    from app.experts import demo, experts, search, taxonomy

    modules.load()
    await db.start_pool(min_size=1, max_size=2)
    try:
        await demo.seed_demo()  # the taxonomy
        started = time.monotonic()
        await db.execute(GENERATE.format(s=SURNAMES), count)
        await db.execute("VACUUM (ANALYZE)")
        log(f"generated {count:,} experts in {time.monotonic() - started:.1f}s")
        top = (await taxonomy.by_code(["ENG"]))["ENG"]
        kinds = {
            "all formal, page 1": experts.ExpertFilters(),
            "keyword (employer)": experts.ExpertFilters(q="设计研究院12"),
            "keyword (name, fuzzy)": experts.ExpertFilters(q="王伟"),
            "field subtree": experts.ExpertFilters(fields=[top]),
            "keyword + field": experts.ExpertFilters(q="桥梁", fields=[top]),
        }
        def cond(field, cmp, value, value2=""):
            return {"field": field, "cmp": cmp, "value": value, "value2": value2}

        smart = {
            "smart: kw + 2 conds": search.SmartSearch(q="设计研究院", tree={"op": "and", "items": [
                cond("status", "eq", "formal"), cond("region", "eq", "北京")]}),
            "smart: fuzzy kw + 3 (OR)": search.SmartSearch(q="王伟", tree={"op": "and", "items": [
                cond("fields", "in", [str(top)]), {"op": "or", "items": [
                    cond("title", "eq", "教授"), cond("industry", "eq", "能源")]}]}),
            "smart: kw + date + field": search.SmartSearch(q="桥梁", tree={"op": "and", "items": [
                cond("valid_until", "between", "2026-06-01", "2028-06-01"), cond("fields", "in", [str(top)]),
                cond("employer", "contains", "研究院")]}),
            "smart: rare kw + 2 conds": search.SmartSearch(q="王伟1234", tree={"op": "and", "items": [
                cond("status", "eq", "formal"), cond("title", "ne", "会计师")]}),
        }
        assert all(qt.count_conditions(s.tree) >= 2 for s in smart.values())
        out = {}
        for name, filters in {**kinds, **smart}.items():
            times = []
            for i in range(rounds):
                req = PageRequest(page=1 + i % 5, per_page=20)
                started = time.perf_counter()
                if isinstance(filters, search.SmartSearch):
                    page = await search.run(SYSTEM, filters, req)
                else:
                    page = await experts.search(SYSTEM, filters, req)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            out[name] = {"total": page.total, "p50_ms": statistics.median(times),
                         "p95_ms": times[int(len(times) * 0.95) - 1], "p99_ms": times[int(len(times) * 0.99) - 1]}
        return out
    finally:
        await db.close_pool()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--child-search", type=int, default=0)
    args = parser.parse_args()
    if args.child_search:
        print("CHILD_RESULT " + json.dumps(asyncio.run(_child_search(args.child_search, args.experts))))
        return 0
    os.chdir(ROOT)
    wb.DB_NAME = DB_NAME
    pg_url = wb.server_url()
    db_url = wb.with_db(pg_url, DB_NAME)
    try:
        asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)',
                              f'CREATE DATABASE "{DB_NAME}"'))
        wb.run_app_command(db_url, "migrate")
        wb.run_app_command(db_url, "seed")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-search", str(args.rounds), "--experts",
               str(args.experts)]
        done = subprocess.run(cmd, cwd=ROOT, env=wb.app_env(db_url), capture_output=True, text=True, timeout=1800)
        sys.stderr.write(done.stderr[-1500:])
        line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("CHILD_RESULT ")), None)
        if done.returncode != 0 or line is None:
            raise wb.BenchError(f"search failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        print(f"smart search over {args.experts:,} experts, {args.rounds} rounds each (service layer, ms):")
        for name, r in json.loads(line.split(" ", 1)[1]).items():
            print(f"  {name:<26} matches {r['total']:>7,}  p50 {r['p50_ms']:7.1f}  p95 {r['p95_ms']:7.1f}"
                  f"  p99 {r['p99_ms']:7.1f}")
        return 0
    finally:
        if not args.keep_db:
            asyncio.run(wb._admin(pg_url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))


if __name__ == "__main__":
    sys.exit(main())

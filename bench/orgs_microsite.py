"""Org micro-site under load (ORG-08): the public H5 site of 北京校友会 (`/o/bj`: intro, council, news, albums,
guestbook) for an anonymous WeChat visitor and for a logged-in member (who also sees the member directory),
beside the bare Litestar handler, with wrk — requests/s and p50/p95/p99 — and the SQL each page runs.

    .venv/bin/python bench/orgs_microsite.py [--duration 10] [--connections 50] [--users 2000]

The same steps, options and output as web_baseline.py (it is that script with other targets): a fresh
database `tc_bench_org` with the demo data, the product and the bare app on free loopback ports, figures on
stdout and in bench/results/orgs_microsite.json, the database dropped at the end unless --keep-db.
"""
from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import web_baseline as wb  # noqa: E402 - the shared bench helpers

wb.DB_NAME = "tc_bench_org"
# (key, label, server, path, session) — bj_admin is an active member (and the appointed admin) of 北京校友会
wb.TARGETS = [
    ("bare", "bare Litestar handler  GET /", "bare", "/", False),
    ("microsite", "product  GET /o/bj (anonymous)", "product", "/o/bj", False),
    ("microsite_member", "product  GET /o/bj (member bj_admin)", "product", "/o/bj", "bj_admin"),
    ("directory", "product  GET /o/bj/members (member bj_admin)", "product", "/o/bj/members", "bj_admin"),
    ("hq_news", "product  GET /h5/news", "product", "/h5/news", False),
]

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not any(a.startswith("--users") for a in argv):
        argv += ["--users", "2000"]
    if not any(a.startswith("--json") for a in argv):
        argv += ["--json", str(wb.RESULTS / "orgs_microsite.json")]
    sys.exit(wb.main(argv))

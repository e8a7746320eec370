"""Rate limits are counted in PostgreSQL: every web process shares one count, and nothing is held in
process memory per address (app.core.ratelimit)."""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from app.core import ratelimit
from tests.helpers import WebProcess, csrf_from

ROOT = Path(__file__).resolve().parents[2]


async def _login_attempt(client) -> int:
    page = await client.get("/login")
    response = await client.post("/login", data={"username": "nobody", "password": "x",
                                                 "_csrf_token": csrf_from(page.text)})
    return response.status_code


@pytest.mark.req("SUP-12")
async def test_login_rate_limit_is_shared_by_every_web_process(client, db, database):
    with WebProcess(database, ROOT / "e2e" / "artifacts" / "ratelimit_process.log") as other:
        other.wait_ready()
        statuses = [await _login_attempt(client) for _ in range(20)]
        assert 429 not in statuses
        async with httpx.AsyncClient(base_url=other.url, timeout=10) as there:
            statuses = [await _login_attempt(there) for _ in range(10)]
            assert 429 not in statuses  # 30 per minute: the 30th still passes
            assert await _login_attempt(there) == 429
        assert await _login_attempt(client) == 429
    assert await db.fetchval("SELECT hits FROM rate_hit WHERE rule = 'login' AND key = '127.0.0.1' "
                             "ORDER BY slot DESC LIMIT 1") >= 20


@pytest.mark.req("SUP-12")
async def test_counters_live_in_the_database_and_expired_slots_are_pruned(db):
    for n in range(1000):
        assert await ratelimit.allow("test", f"10.9.{n // 250}.{n % 250}", 5, 60)
    assert await db.fetchval("SELECT count(*) FROM rate_hit WHERE rule = 'test'") == 1000
    await db.execute("UPDATE rate_hit SET expires_at = now() - interval '1 second' WHERE rule = 'test'")
    assert await ratelimit.prune() == 1000
    assert await db.fetchval("SELECT count(*) FROM rate_hit WHERE rule = 'test'") == 0


@pytest.mark.req("SUP-12")
async def test_the_window_slides(db):
    for _ in range(3):
        assert await ratelimit.allow("slide", "k", 3, 1)
    assert not await ratelimit.allow("slide", "k", 3, 1)
    time.sleep(2.1)  # two slots later nothing of the earlier hits overlaps the window
    assert await ratelimit.allow("slide", "k", 3, 1)

"""Fixtures of the SMS tests: an in-process SMSC simulator (S1's), channels pointing at it, a running
dispatcher on the test database, and small helpers to wait for outcomes."""
import asyncio
import json

import pytest

from app.adapters.sms_channels.simulator import start_simulator


@pytest.fixture
async def sim(tmp_path):
    handle = await start_simulator(log_path=str(tmp_path / "witness.log"))
    yield handle
    await handle.stop()


async def add_channel(db, name: str, port: int, *, weight: int = 100, max_tps: int = 5000) -> int:
    config = {"host": "127.0.0.1", "port": port, "system_id": "tc", "password": "secret", "enquire_link_s": 5,
              "reconnect_min_s": 0.1, "reconnect_max_s": 0.5, "timeout_s": 3}
    return await db.fetchval("INSERT INTO sms_channel (name, kind, config, weight, max_tps) VALUES ($1, 'smpp',"
                             " $2::jsonb, $3, $4) RETURNING id", name, json.dumps(config), weight, max_tps)


@pytest.fixture
async def channel(db, sim):
    await db.execute("DELETE FROM sms_channel")
    return await add_channel(db, "sim-a", sim.port)


@pytest.fixture
async def dispatcher(db, channel):
    from app.sms.dispatcher import Dispatcher

    d = Dispatcher(reload_s=0.3, idle_s=0.1)
    await d.start()
    await wait_for(lambda: all(c.healthy for c in d.registry.live.values()) and d.registry.live, timeout=5)
    yield d
    await d.stop()


async def wait_for(predicate, timeout: float = 10.0, every: float = 0.05):
    """Await until predicate() (sync or async) is truthy; fails the test on timeout."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


async def statuses(db, batch_id: int) -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) AS n FROM sms_message WHERE batch = $1 GROUP BY status", batch_id)
    return {r["status"]: r["n"] for r in rows}


def witness(path) -> list[list[str]]:
    """Lines of the simulator's witness log: message_id, ref, seq/total, dest, system_id, time."""
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if line.strip()]

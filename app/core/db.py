"""Database access: the Piccolo engine (asyncpg pool), raw SQL helpers that join the current
transaction, and migrations."""
from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine


def engine() -> PostgresEngine:
    return engine_finder()  # type: ignore[return-value]


def transaction():
    """`async with transaction():` — Piccolo queries and the raw helpers below join it."""
    return engine().transaction()


async def _reset(con) -> None:
    """On release, only end an unfinished transaction. asyncpg's default reset runs a 4-statement
    query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) after every use: a round trip per query
    for session state this app never keeps on pooled connections (LISTEN uses its own connection)."""
    if con.is_in_transaction():
        await con.execute("ROLLBACK")


async def start_pool(min_size: int = 2, max_size: int = 20) -> None:
    await engine().start_connection_pool(min_size=min_size, max_size=max_size, reset=_reset)


async def close_pool() -> None:
    await engine().close_connection_pool()


def detached(coro: Coroutine) -> asyncio.Task:
    """Run `coro` as a task that does NOT join the caller's transaction: its queries take their own pooled
    connection, so read-only work can run beside the transaction's statements (one connection runs one
    statement at a time). Other context (the locale) is kept."""
    context = contextvars.copy_context()
    context.run(engine().current_transaction.set, None)
    return asyncio.get_running_loop().create_task(coro, context=context)


def _current_connection():
    tx = engine().current_transaction.get()
    return tx.connection if tx is not None else None


async def fetch(sql: str, *args: Any) -> list[dict]:
    """Rows as dicts; parameters are $1, $2 … (never formatted into the SQL)."""
    con = _current_connection()
    if con is not None:
        return [dict(r) for r in await con.fetch(sql, *args)]
    async with engine().pool.acquire() as con:
        return [dict(r) for r in await con.fetch(sql, *args)]


async def fetchrow(sql: str, *args: Any) -> dict | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def fetchval(sql: str, *args: Any) -> Any:
    con = _current_connection()
    if con is not None:
        return await con.fetchval(sql, *args)
    async with engine().pool.acquire() as con:
        return await con.fetchval(sql, *args)


async def execute(sql: str, *args: Any) -> str:
    con = _current_connection()
    if con is not None:
        return await con.execute(sql, *args)
    async with engine().pool.acquire() as con:
        return await con.execute(sql, *args)


async def migrate() -> None:
    """Run every app's pending Piccolo migrations."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")


async def ping() -> bool:
    return await fetchval("SELECT 1") == 1

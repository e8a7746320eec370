"""Test fixtures: a fresh database per test session on the real (embedded) PostgreSQL, restored to a
seeded baseline before every test; an HTTP client on the real app; a real SMTP sink."""
from __future__ import annotations

import asyncio
import os
import re
import socket
import uuid

import asyncpg
import pytest

SESSION_DB = os.environ.setdefault("TC_TEST_DB", f"tc_test_{uuid.uuid4().hex[:8]}")
# Tests assert on the English msgids: clients ask for English, and code run outside a request
# (services, jobs) inherits English from here. The Chinese default is tested explicitly.
TEST_HEADERS = {"accept-language": "en"}
# Tests assert fresh counts after each write: no stale-is-fine caching (tests/core/test_cache.py covers it).
os.environ.setdefault("TC_CACHE_TTL", "0")


def _english_outside_requests() -> None:
    from app.core import i18n

    i18n.current_locale.set("en")


_english_outside_requests()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_url() -> str:
    """A URL to a maintenance database on the server under test."""
    if url := os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL"):
        return url
    from app.core import pg_embedded

    return pg_embedded.start()


os.environ.setdefault("SMTP_PORT", str(_free_port()))  # before anything reads (and caches) settings
os.environ.setdefault("TC_DEV", "1")
# The built-in school IdP / WeChat / real-name simulator (fixture `idp`) listens here when a test asks for it.
os.environ.setdefault("TC_IDP_URL", f"http://127.0.0.1:{_free_port()}")
ADMIN_URL = _admin_url()
TEST_URL = re.sub(r"/[^/]*$", f"/{SESSION_DB}", ADMIN_URL)
os.environ["DATABASE_URL"] = TEST_URL
os.environ["PICCOLO_CONF"] = "piccolo_conf"


async def _create_database() -> None:
    con = await asyncpg.connect(ADMIN_URL)
    try:
        await con.execute(f'CREATE DATABASE "{SESSION_DB}"')
    finally:
        await con.close()


async def _drop_database() -> None:
    con = await asyncpg.connect(ADMIN_URL)
    try:
        await con.execute(f'DROP DATABASE IF EXISTS "{SESSION_DB}" WITH (FORCE)')
    finally:
        await con.close()


SNAPSHOT_SQL = """
DO $$ DECLARE t text; BEGIN
  CREATE SCHEMA IF NOT EXISTS baseline;
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration' LOOP
    EXECUTE format('CREATE TABLE baseline.%I AS TABLE public.%I', t, t);
  END LOOP;
END $$;
"""
RESTORE_SQL = """
DO $$ DECLARE t text; s record; BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);  -- FK order does not matter while restoring
  EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('public.%I', tablename), ', ') || ' CASCADE'
           FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration');
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'baseline' LOOP
    EXECUTE format('INSERT INTO public.%I SELECT * FROM baseline.%I', t, t);
  END LOOP;
  FOR s IN SELECT c.relname AS tbl, a.attname AS col,
                  pg_get_serial_sequence(format('public.%I', c.relname), a.attname) AS seq
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0
             AND pg_get_serial_sequence(format('public.%I', c.relname), a.attname) IS NOT NULL LOOP
    EXECUTE format('SELECT setval(%L, COALESCE((SELECT max(%I) FROM public.%I), 0) + 1, false)', s.seq, s.col, s.tbl);
  END LOOP;
  PERFORM pg_notify('tc_session', 'u:*');  -- web processes under test forget the users they cached
END $$;
"""


@pytest.fixture(scope="session")
async def database():
    from app import modules
    from app.core import db

    modules.load()  # as every process does first: handlers, permissions, menus, import specs
    await _create_database()
    await db.migrate()
    await db.start_pool(min_size=2, max_size=20)
    from app.support import seed

    await seed.seed_all()
    await db.execute(SNAPSHOT_SQL)
    yield TEST_URL
    await db.close_pool()
    await _drop_database()


def _reset_caches() -> None:
    from app.core import dictionary, menus, sessions, settings_store

    sessions.clear()
    settings_store.invalidate()
    menus.invalidate()
    dictionary.invalidate()


@pytest.fixture
async def db(database):
    """The database restored to the seeded baseline."""
    from app.core import db as core_db

    await core_db.execute(RESTORE_SQL)
    _reset_caches()
    return core_db


@pytest.fixture(scope="session")
def app(database):
    from app.main import create_app

    return create_app(manage_pool=False)


@pytest.fixture
async def client(app, db):
    import httpx

    # Same event loop as the pool (Litestar's test client would run the app on another loop).
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=TEST_HEADERS) as c:
        yield c


@pytest.fixture(scope="session")
def smtp_sink(database):
    """The real SMTP sink on SMTP_PORT, storing into dev_mail."""
    from app.core import mail_sink

    controller = mail_sink.start(int(os.environ["SMTP_PORT"]), TEST_URL)
    yield controller
    controller.stop()


@pytest.fixture
def as_user(client):
    from tests.helpers import login

    async def _as(username: str, password: str | None = None):
        from app.support.seed import DEMO_ADMIN_PASSWORD, DEMO_PASSWORD

        password = password or (DEMO_ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD)
        response = await login(client, username, password)
        assert response.status_code == 303, response.text[:500]
        return client

    return _as


def pytest_collection_modifyitems(items):
    for item in items:
        if "asyncio" not in item.keywords and asyncio.iscoroutinefunction(getattr(item, "function", None)):
            item.add_marker(pytest.mark.asyncio(loop_scope="session"))


@pytest.fixture(scope="session")
def idp(tmp_path_factory):
    """The built-in school IdP / WeChat / real-name simulator on TC_IDP_URL (its own process, real HTTP);
    yields its base URL (= OIDC issuer). Real-name latency is 50 ms here so the tests stay fast."""
    from urllib.parse import urlsplit

    from tests.helpers import IdpProcess

    url = os.environ["TC_IDP_URL"]
    with IdpProcess(urlsplit(url).port, tmp_path_factory.mktemp("idp") / "idp.log",
                    TC_IDP_REALNAME_LATENCY_MS="50") as process:
        yield process.url

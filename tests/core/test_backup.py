"""NFR-07: a backup of the live database restores into a fresh database, and a restore over a changed
database brings the backed-up data back. Restores go into a scratch database so the session database
(and the pool holding connections to it) is never touched."""
import asyncio
import os
import re
import subprocess
import sys
import uuid

import asyncpg
import pytest

from app.config import ROOT
from app.core import backup
from app.core.pg_embedded import client_binary

TABLES = ("app_user", "org_node", "role", "user_role", "menu", "dict_item", "site_setting")


async def _snapshot(con) -> dict:
    counts = {t: await con.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
    users = [tuple(r) for r in await con.fetch("SELECT id, username, name, email, phone, org FROM app_user "
                                               "ORDER BY id")]
    return {"counts": counts, "users": users}


@pytest.fixture
async def scratch_db(database):
    """An empty database on the same server, dropped afterwards (even when connections linger)."""
    name = f"tc_scratch_{uuid.uuid4().hex[:10]}"
    maintenance = await asyncpg.connect(database)  # any database on the server can create another
    await maintenance.execute(f'CREATE DATABASE "{name}"')
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", database)
    finally:
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await maintenance.close()


@pytest.mark.req("NFR-07")
async def test_backup_restores_into_a_fresh_database_and_over_a_changed_one(db, database, scratch_db, tmp_path):
    dump = tmp_path / "tc.dump"
    assert await asyncio.to_thread(backup.backup, database, dump) == dump
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump custom format
    live = await asyncpg.connect(database)
    try:
        expected = await _snapshot(live)
    finally:
        await live.close()
    assert expected["counts"]["app_user"] >= 40

    await asyncio.to_thread(backup.restore, scratch_db, dump)
    con = await asyncpg.connect(scratch_db)
    try:
        assert await _snapshot(con) == expected
        # The restored copy is a working database: constraints and sequences came along.
        next_id = await con.fetchval("INSERT INTO app_user (username, name) VALUES ('after_restore', '新用户') "
                                     "RETURNING id")
        assert next_id > max(u[0] for u in expected["users"])
        with pytest.raises(asyncpg.UniqueViolationError):
            await con.execute("INSERT INTO app_user (username) VALUES ('cs_admin')")

        # Damage it: a user deleted (with their role links), a name changed.
        cs_admin = await con.fetchval("SELECT id FROM app_user WHERE username = 'cs_admin'")
        await con.execute("DELETE FROM app_user WHERE username = 'liaison'")
        await con.execute("UPDATE app_user SET name = '被改了' WHERE id = $1", cs_admin)
        assert await _snapshot(con) != expected
    finally:
        await con.close()  # restore --clean drops tables: no session may hold locks on them

    await asyncio.to_thread(backup.restore, scratch_db, dump)
    con = await asyncpg.connect(scratch_db)
    try:
        assert await _snapshot(con) == expected
        assert await con.fetchval("SELECT name FROM app_user WHERE username = 'liaison'") == "周联络"
        assert await con.fetchval("SELECT name FROM app_user WHERE username = 'cs_admin'") == "李计算"
        assert not await con.fetchval("SELECT count(*) FROM app_user WHERE username = 'after_restore'")
        assert await con.fetchval('SELECT count(*) FROM user_role ur JOIN app_user u ON u.id = ur."user" '
                                  "WHERE u.username = 'liaison'") == 1
    finally:
        await con.close()


@pytest.mark.req("NFR-07")
async def test_restore_of_a_missing_file_changes_nothing(scratch_db, tmp_path):
    with pytest.raises(FileNotFoundError):
        backup.restore(scratch_db, tmp_path / "missing.dump")


@pytest.mark.req("NFR-07")
async def test_cli_backup_writes_a_restorable_dump(database, tmp_path):
    target = tmp_path / "cli" / "tc.dump"
    env = {**os.environ, "DATABASE_URL": database}
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "app", "backup", str(target)],
                                   cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    listing = await asyncio.to_thread(subprocess.run, [client_binary("pg_restore"), "--list", str(target)],
                                      capture_output=True, text=True, check=True)
    assert "TABLE DATA public app_user" in listing.stdout and "TABLE DATA public audit_log" in listing.stdout

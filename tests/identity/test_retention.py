"""IDV-01: raw face photos are deleted once their retention has passed, by the hourly purge job ("idn.purge");
spent SMS codes and login redirect states go after a day."""
import io

import pytest
from PIL import Image

from app.core import id_numbers, jobs, settings_store
from app.core.storage import storage
from app.identity import realname, retention
from app.identity.module import PURGE_KIND


def face() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), (150, 150, 150)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.req("IDV-01")
async def test_photos_past_retention_are_deleted_fresh_ones_stay(db, idp):
    hq = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    await settings_store.put(realname.RETENTION_HOURS, 24)
    old = await realname.check(hq, "张三", id_numbers.complete("11010519900307123"), face())
    fresh = await realname.check(hq, "张三", id_numbers.complete("11010519900307124"), face())
    assert old["image_key"] and fresh["image_key"] and storage().exists(old["image_key"])
    # The first check was made 25 hours ago: its photo is past the 24 hours kept.
    await db.execute("UPDATE idn_realname SET created_at = created_at - interval '25 hours',"
                     " image_delete_after = image_delete_after - interval '25 hours' WHERE id = $1", old["id"])

    await jobs.enqueue(PURGE_KIND, {})
    assert await jobs.drain() >= 1  # the scheduled job's handler, as the worker runs it
    gone = await db.fetchrow("SELECT image_key, image_deleted_at, result FROM idn_realname WHERE id = $1", old["id"])
    assert gone["image_key"] == "" and gone["image_deleted_at"] is not None and gone["result"] == "passed"
    assert not storage().exists(old["image_key"])
    kept = await db.fetchrow("SELECT image_key, image_deleted_at FROM idn_realname WHERE id = $1", fresh["id"])
    assert kept["image_key"] == fresh["image_key"] and kept["image_deleted_at"] is None
    assert storage().exists(fresh["image_key"])
    summary = await db.fetchval("SELECT summary FROM audit_log WHERE action = 'purge' AND entity = 'idn_realname'")
    assert summary.startswith("1 face photos")

    assert (await retention.run())["photos"] == 0  # nothing left to do: a second run changes nothing


@pytest.mark.req("IDV-01")
async def test_sms_codes_and_login_states_older_than_a_day_are_pruned(db):
    for age in ("2 days", "1 hour"):
        await db.execute("INSERT INTO idn_sms_code (phone, purpose, code_hash, created_at, expires_at)"
                         f" VALUES ('17712340001', 'login', 'x', now() - interval '{age}', now())")
    provider = await db.fetchval("INSERT INTO idn_provider (code, kind, name) VALUES ('zz', 'cas', 'ZZ') RETURNING id")
    for state, age in (("old-state", "2 days"), ("new-state", "1 minute")):
        await db.execute("INSERT INTO idn_auth_state (state, provider, created_at)"
                         f" VALUES ($1, $2, now() - interval '{age}')", state, provider)
    counts = await retention.run()
    assert counts == {"photos": 0, "sms_codes": 1, "auth_states": 1}
    assert await db.fetchval("SELECT count(*) FROM idn_sms_code") == 1
    assert await db.fetchval("SELECT state FROM idn_auth_state") == "new-state"

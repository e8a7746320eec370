"""What the identity module keeps only for a while: face photos (`identity.face_retention_hours`), SMS codes
and login redirect states (a day). Run hourly by the job "idn.purge" (jobs.py)."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import SYSTEM
from app.core.storage import storage

BATCH = 500


def delete_file(key: str) -> None:
    """Remove one stored file; a file already gone is fine (a retried purge)."""
    storage().delete(key)


async def purge_photos() -> int:
    """Face photos past their retention: the file goes first, then the row forgets its key."""
    done = 0
    while rows := await db.fetch("SELECT id, image_key FROM idn_realname WHERE image_key <> ''"
                                 " AND image_delete_after <= now() ORDER BY image_delete_after LIMIT $1", BATCH):
        for row in rows:
            delete_file(row["image_key"])
        await db.execute("UPDATE idn_realname SET image_key = '', image_deleted_at = now()"
                         " WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        done += len(rows)
    return done


async def _delete_older_than_a_day(table: str) -> int:
    return await db.fetchval(f"WITH gone AS (DELETE FROM {table} WHERE created_at < now() - interval '1 day'"
                             " RETURNING 1) SELECT count(*) FROM gone")


async def run() -> dict:
    photos = await purge_photos()
    async with db.transaction():
        codes = await _delete_older_than_a_day("idn_sms_code")
        states = await _delete_older_than_a_day("idn_auth_state")
        if photos or codes or states:
            await audit.record(SYSTEM, "purge", "idn_realname", "",
                               summary=f"{photos} face photos, {codes} SMS codes, {states} login states deleted")
    return {"photos": photos, "sms_codes": codes, "auth_states": states}

"""Class generation (CLS-01, CLS-03): the job `cls.generate` (daily, and "Run now") turns the records' class
field into class spaces and joins the linked alumni to them.

- A class per distinct records class: a class node (key "node:<id>", named after the node) or, without one,
  college + entry year + class name (key "name:<college>:<year>:<normalised name>").
- Idempotent: a class is found again by its key and only changed when the records changed (name, college,
  entry year, roster counts); running twice in a row writes nothing the second time.
- A class the records no longer hold is never deleted (members and content stay): it is marked "no longer in
  the records" (status stale) and becomes active again when the records hold it again. Applied classes are
  never marked: the records never had them.
- Auto-join: every active record linked to a login account makes that account a member of its classes. A
  member who left keeps their row (status left) and is not joined again."""
from __future__ import annotations

from app.classes import classes
from app.core import audit, db, jobs
from app.core.audit import SYSTEM, Actor
from app.records import api as records

LOCK = 720_260_001  # pg advisory lock: one generation at a time


def _key(group: dict) -> str:
    if group["class_node"] is not None:
        return classes.node_key(group["class_node"])
    return classes.name_key(group["college"], group["entry_year"], group["name_key"])


async def start(actor: Actor) -> int:
    """"Run now": a job (audited), so a big records base does not hold a web request."""
    async with db.transaction():
        job_id = await jobs.enqueue("cls.generate", {}, created_by=actor.id)
        await audit.record(actor, "run", classes.ENTITY, "", summary=f"generate (job {job_id})")
    return job_id


async def run(actor: Actor = SYSTEM, progress=None) -> dict:
    groups = await records.class_groups()
    wanted = {_key(g): g for g in groups}
    counts = {"created": 0, "renamed": 0, "updated": 0, "stale": 0, "revived": 0, "joined": 0}
    renamed: list[dict] = []
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
        existing = {r["key"]: r for r in await db.fetch("SELECT * FROM classes_class")}
        for done, (key, g) in enumerate(wanted.items(), 1):
            row = existing.get(key)
            values = {"name": (g["name"] or "")[:100], "college": g["college"], "entry_year": g["entry_year"],
                      "class_node": g["class_node"], "class_name": "" if g["class_node"] else (g["name"] or "")[:100],
                      "roster_size": g["persons"], "linked_count": g["linked"]}
            if row is None:
                await db.execute(
                    "INSERT INTO classes_class (key, name, college, entry_year, class_node, class_name, source,"
                    " roster_size, linked_count, generated_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, 'records',"
                    " $7, $8, now(), $9)", key, values["name"], values["college"], values["entry_year"],
                    values["class_node"], values["class_name"], values["roster_size"], values["linked_count"],
                    actor.id)
                counts["created"] += 1
                continue
            if row["source"] == "applied":  # its name and college are the applicant's; only the counts follow
                values = {k: values[k] for k in ("roster_size", "linked_count")}
            changed = {k: v for k, v in values.items() if row[k] != v}
            if row["status"] == "stale":
                changed.update(status="active", stale_since=None)
                counts["revived"] += 1
            if changed:
                sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changed))
                await db.execute(f"UPDATE classes_class SET {sets}, generated_at = now(), updated_at = now()"
                                 f" WHERE id = $1", row["id"], *changed.values())
                if "name" in changed:
                    counts["renamed"] += 1
                    renamed.append({"id": row["id"], "before": row["name"], "after": changed["name"]})
                else:
                    counts["updated"] += 1
            if progress and done % 500 == 0:
                await progress(done, len(wanted))
        gone = [r["id"] for k, r in existing.items() if k not in wanted and r["source"] == "records"
                and r["status"] == "active"]
        if gone:
            await db.execute("UPDATE classes_class SET status = 'stale', stale_since = now(), updated_at = now()"
                             " WHERE id = ANY($1::bigint[])", gone)
            counts["stale"] = len(gone)
        gone_applied = [r["id"] for k, r in existing.items() if k not in wanted and r["source"] == "applied"
                        and r["roster_size"]]
        if gone_applied:
            await db.execute("UPDATE classes_class SET roster_size = 0, linked_count = 0, updated_at = now()"
                             " WHERE id = ANY($1::bigint[])", gone_applied)
        counts["joined"] = await _auto_join(await records.class_linked_persons())
        for r in renamed:
            await audit.record(actor, "rename", classes.ENTITY, r["id"], before={"name": r["before"]},
                               after={"name": r["after"]}, summary=r["after"])
        if any(counts.values()):
            await audit.record(actor, "generate", classes.ENTITY, "", after=counts,
                               summary=", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return {**counts, "classes": len(wanted)}


async def _auto_join(linked: list[dict]) -> int:
    """Members for linked records (one set-based insert); returns how many joined now."""
    if not linked:
        return 0
    keys = [classes.node_key(r["class_node"]) if r["class_node"] is not None
            else classes.name_key(r["college"], r["entry_year"], r["name_key"]) for r in linked]
    status = await db.execute(
        "INSERT INTO classes_member (class_id, \"user\", person, source)"
        " SELECT DISTINCT ON (c.id, x.u) c.id, x.u, x.p, 'records' FROM unnest($1::text[], $2::bigint[],"
        " $3::bigint[]) AS x(k, u, p) JOIN classes_class c ON c.key = x.k AND c.status = 'active'"
        " ORDER BY c.id, x.u, x.p"
        " ON CONFLICT (class_id, \"user\") DO UPDATE SET person = EXCLUDED.person"
        " WHERE classes_member.person IS NULL", keys, [r["user"] for r in linked], [r["person"] for r in linked])
    return int(status.rsplit(" ", 1)[-1])


async def join_user(user_id: int) -> int:
    """Auto-join one account to the classes its linked records belong to (after a login: a just-verified
    alumnus need not wait for the nightly run). Returns how many memberships were created."""
    linked = await records.class_linked_persons(user_id)
    if not linked:
        return 0
    async with db.transaction():
        joined = await _auto_join(linked)
        if joined:
            await audit.record(Actor(user_id, "system"), "auto_join", "classes_member", user_id,
                               summary=f"{joined} classes")
    return joined


async def last_run() -> dict | None:
    """The newest generation job: {id, status, finished_at, result} (the admin list shows it)."""
    import json

    row = await db.fetchrow("SELECT id, status, created_at, finished_at, result FROM job WHERE kind = 'cls.generate'"
                            " ORDER BY id DESC LIMIT 1")
    if row:
        row["result"] = json.loads(row["result"]) if isinstance(row["result"], str) else (row["result"] or {})
    return row

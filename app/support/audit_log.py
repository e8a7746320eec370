"""Audit log viewer (SUP-14): search, detail with before/after, export. Scoped: a viewer without the
"all" data scope sees entries of orgs in their scope and the entries they made themselves. On top of that,
each module registers (audit.register_view) how its entities' entries are masked (SUP-16) and which of them
a viewer may see (data scope, secrecy): an entry about a record the viewer cannot open is not listed,
exported or shown (404)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.core import audit, db, sqlfilter
from app.core.audit import Actor
from app.core.masking import MASKABLE, sees_clear, shown, shown_fields
from app.core.pagination import Page, PageRequest
from app.core.permissions import PermissionDenied

SORTS = {"at": "a.at", "actor": "a.actor_name", "entity": "a.entity", "action": "a.action"}
EXPORT_LIMIT = 100_000


def _mask_user(viewer: Actor, entry: dict) -> None:
    for data in (entry["before"], entry["after"]):
        shown_fields(viewer, data, {k: k for k in MASKABLE})


# Users are scoped by the entry's org (the user's org), which the base scope already checks.
audit.register_view("user", mask=_mask_user)


@dataclass
class AuditFilters:
    actor: str = ""
    entity: str = ""
    entity_id: str = ""
    action: str = ""
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, params) -> AuditFilters:
        text = sqlfilter.text
        return cls(actor=text(params, "actor", 64), entity=text(params, "entity", 64),
                   entity_id=text(params, "entity_id", 64), action=text(params, "action", 32),
                   q=text(params, "q", 200), date_from=sqlfilter.parse_date(params.get("from")),
                   date_to=sqlfilter.parse_date(params.get("to")))


FROM = "FROM audit_log a LEFT JOIN app_user u ON u.id = a.actor_id"


def entities_visible(viewer: Actor, args: list) -> str:
    """WHERE fragment: the entry's entity passes its module's visibility rule (entities without one pass)."""
    where = sqlfilter.Where(args)
    for entity, view in audit.views().items():
        if view.visible and (sql := view.visible(viewer, args)) != "TRUE":
            where.add(f"(a.entity <> {where.param(entity)} OR {sql})")
    return where.sql()


def _where(viewer: Actor, filters: AuditFilters, args: list) -> str:
    where = sqlfilter.Where(args, viewer.scope.sql("a.org_id", "a.actor_id", args), entities_visible(viewer, args))
    # Real names are searchable only by viewers who may see them (no guessing masked names).
    clear_names = sees_clear(viewer, "name")
    actor_columns = ["a.actor_name", "u.name"] if clear_names else ["a.actor_name"]
    where.contains(actor_columns, filters.actor)
    where.equals("a.entity", filters.entity).equals("a.entity_id", filters.entity_id)
    where.equals("a.action", filters.action).contains("a.summary", filters.q)
    named = [e for e, view in audit.views().items() if view.personal_summary]
    if filters.q and named and not clear_names:
        # Entries about one person carry the name as summary: not searchable without the clear view.
        where.add(f"NOT (a.entity = ANY({where.param(named)}::varchar[]) AND {audit.ENTITY_ID} IS NOT NULL)")
    return where.date_range("a.at", filters.date_from, filters.date_to).sql()


def _loads(value: Any) -> dict | None:
    if value is None:
        return None
    data = json.loads(value) if isinstance(value, str) else value
    return data if isinstance(data, dict) else {"value": data}


def _prepare(viewer: Actor, row: dict) -> dict:
    """JSON decoded, personal values masked for this viewer, the changed keys listed."""
    before, after = _loads(row.get("before")), _loads(row.get("after"))
    row["changed"] = audit.changed(before, after) if before is not None and after is not None else []
    row["before"], row["after"] = before, after
    view = audit.views().get(row["entity"])
    if view and view.mask:
        view.mask(viewer, row)
    row["actor_real_name"] = shown(viewer, "name", row.get("actor_real_name"))
    return row


COLUMNS = ("a.id, a.at, a.actor_id, a.actor_name, u.name AS actor_real_name, a.ip, a.action, a.entity, a.entity_id,"
           " a.summary, a.before, a.after, a.org_id")


async def list_entries(viewer: Actor, filters: AuditFilters, req: PageRequest) -> Page:
    args: list = []
    sql_where = _where(viewer, filters, args)
    total = await db.fetchval(f"SELECT count(*) {FROM} WHERE {sql_where}", *args)
    rows = await db.fetch(f"SELECT {COLUMNS} {FROM} WHERE {sql_where} "
                          f"{req.order_by(SORTS, 'a.at DESC, a.id DESC').replace(', id', ', a.id')}"
                          f" LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page([_prepare(viewer, r) for r in rows], total, req.page, req.per_page, req.sort)


async def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """Entities (a loose index scan over audit_entity) and actions present in the log."""
    entities = await db.fetch(
        "WITH RECURSIVE e AS (SELECT min(entity) AS v FROM audit_log UNION ALL"
        " SELECT (SELECT min(entity) FROM audit_log WHERE entity > e.v) FROM e WHERE e.v IS NOT NULL)"
        " SELECT v FROM e WHERE v IS NOT NULL")
    actions = await db.fetch("SELECT DISTINCT action AS v FROM audit_log ORDER BY 1")
    return {"entities": [(r["v"], r["v"]) for r in entities], "actions": [(r["v"], r["v"]) for r in actions]}


async def get_entry(viewer: Actor, entry_id: int) -> dict | None:
    """One entry, or None (also when it is about a record the viewer may not see: no existence leak);
    outside the viewer's scope is PermissionDenied (403)."""
    args: list = [entry_id]
    scope_sql = viewer.scope.sql("a.org_id", "a.actor_id", args)
    row = await db.fetchrow(f"SELECT {COLUMNS}, ({scope_sql}) AS visible {FROM}"
                            f" WHERE a.id = $1 AND {entities_visible(viewer, args)}", *args)
    if row is None:
        return None
    if not row.pop("visible"):
        raise PermissionDenied()
    return _prepare(viewer, row)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def diff_rows(entry: dict) -> list[dict]:
    """Field by field: before, after and whether it changed (for the detail table)."""
    before, after = entry["before"] or {}, entry["after"] or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [{"field": k, "before": _text(before.get(k)) if k in before else None,
             "after": _text(after.get(k)) if k in after else None,
             "changed": k in entry["changed"] or (entry["before"] is None) != (entry["after"] is None)}
            for k in keys]


async def export_rows(viewer: Actor, filters: AuditFilters) -> list[dict]:
    """Rows for the export (same filter and scope as the list, newest first, capped); the export is audited."""
    args: list = []
    sql_where = _where(viewer, filters, args)
    rows = await db.fetch(f"SELECT {COLUMNS} {FROM} WHERE {sql_where} ORDER BY a.at DESC, a.id DESC"
                          f" LIMIT {EXPORT_LIMIT}", *args)
    out = []
    for row in rows:
        row = _prepare(viewer, row)
        out.append({"at": row["at"].strftime("%Y-%m-%d %H:%M:%S"), "actor": row["actor_name"],
                    "actor_real_name": row["actor_real_name"], "ip": row["ip"], "action": row["action"],
                    "entity": row["entity"], "entity_id": row["entity_id"], "summary": row["summary"],
                    "changed": ", ".join(row["changed"]),
                    "before": _text(row["before"]) if row["before"] is not None else "",
                    "after": _text(row["after"]) if row["after"] is not None else ""})
    filters_used = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(filters).items() if v}
    await audit.record(viewer, "export", "audit_log", "", summary=f"{len(out)} rows", after=filters_used or None)
    return out

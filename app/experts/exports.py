"""Export of a smart-search result (EXP-11): xlsx or csv through app.core.exports (watermark naming who exported
it and when), the columns the user picks limited by the site's per-field allow list (`experts.export_fields`:
{field key: allowed}, edited by exp.expert.export holders), contacts by the same reveal rule as the pages
(contact.py — the rows come masked from search.run, so core's role masking is not applied on top). Audited:
who exported which columns of which search, and how many rows."""
from __future__ import annotations

from app.core import audit, db, exports, settings_store
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import PageRequest
from app.experts import search, taxonomy

SETTING = "experts.export_fields"
MAX_ROWS = 50_000
# key → label, in file order
FIELDS = {
    "number": L("Number"), "name": L("Name"), "gender": L("Gender"), "phone": L("Mobile number"),
    "email": L("Email"), "employer": L("Employer"), "title": L("Professional title"), "specialty": L("Specialty"),
    "industry": L("Industry"), "region": L("Region"), "expert_type": L("Expert type"), "status": L("Status"),
    "source": L("Source"), "fields": L("Fields of expertise"), "valid_until": L("Valid until"),
    "created_at": L("Created"),
}


async def allowed_fields() -> dict[str, bool]:
    """Every export field → whether it may be exported at all (unknown or missing keys: allowed)."""
    stored = await settings_store.get(SETTING, {}) or {}
    stored = stored if isinstance(stored, dict) else {}
    return {key: bool(stored.get(key, True)) for key in FIELDS}


async def save_allowed(actor: Actor, allowed: list[str]) -> dict[str, bool]:
    value = {key: key in set(allowed) for key in FIELDS}
    async with db.transaction():
        before = await allowed_fields()
        await settings_store.put(SETTING, value, actor.id)
        await audit.record(actor, "update", "site_setting", SETTING, summary=SETTING, before=before, after=value)
    return value


async def columns(wanted: list[str] | None = None) -> list[tuple[str, str]]:
    """The columns of the file: the requested ones (all when none) that the allow list permits."""
    allowed = await allowed_fields()
    keys = [k for k in FIELDS if allowed[k] and (not wanted or k in wanted)]
    return [(k, str(FIELDS[k])) for k in keys]


def _plain_row(row: dict, field_labels: dict[int, str]) -> dict:
    out = dict(row)
    out["status"] = str(search.STATUSES.get(row.get("status"), row.get("status") or ""))
    out["source"] = str(search.SOURCES.get(row.get("source"), row.get("source") or ""))
    out["expert_type"] = str(search.TYPES.get(row.get("expert_type"), row.get("expert_type") or ""))
    out["fields"] = "; ".join(field_labels.get(f, str(f)) for f in row.get("fields") or [])
    return out


async def export(viewer: Actor, wanted: search.SmartSearch, chosen: list[str], fmt: str = "xlsx") -> tuple[bytes, int]:
    """The file of every expert the search matches (at most MAX_ROWS) and the row count; audited."""
    cols = await columns(chosen)
    if not cols:
        raise Invalid("cols", _("No field may be exported: ask an administrator to allow some."))
    fmt = "csv" if fmt == "csv" else "xlsx"
    first = await search.run(viewer, wanted, PageRequest(page=1, per_page=1))
    if first.total > MAX_ROWS:
        raise Invalid("cols", _("At most %(n)s experts can be exported at once: narrow the search.", n=MAX_ROWS))
    rows = await exports.collect_pages(lambda req: search.run(viewer, wanted, req), per_page=1000)
    labels = {r["id"]: r["label"] for r in await taxonomy.flat()}
    data = exports.export_rows(cols, [_plain_row(r, labels) for r in rows], fmt,
                               watermark=exports.watermark_text(viewer))
    async with db.transaction():
        await audit.record(viewer, "export", "exp_expert", "", summary=_("%(n)s experts exported", n=len(rows)),
                           after={"count": len(rows), "format": fmt, "columns": [k for k, _l in cols],
                                  "search": wanted.stored(),
                                  "revealed": sum(1 for r in rows if r.get("contact_revealed"))})
    return data, len(rows)

"""Expert statistics (EXP-18 专家统计分析): formal experts by level-1 field, industry, region and title, all
experts by status, and activity — invitations per formal expert over the last 12 months, bucketed. One GROUP BY
per chart; the page draws them as server-side SVG (app.core.charts) with the numbers beside, and the route
exports the same numbers as xlsx. The pool itself is not owned by a department: every stats viewer sees it."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import db
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

TOP = 15  # long tails (industries, regions) show their largest items and "Others"
ACTIVITY_BUCKETS = (("0", 0, 0), ("1–2", 1, 2), ("3–5", 3, 5), ("6+", 6, None))
# An invitation counts for activity unless the office cancelled it; upcoming reviews count too.
COUNTED = "i.status <> 'cancelled'"


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # bar / pie
    items: list[dict]  # [{"code", "label", "value"}]

    @property
    def total(self) -> int:
        return sum(i["value"] for i in self.items)


STATUS_LABELS = {"formal": L("Formal"), "deleted": L("Delete list"), "blacklisted": L("Blacklist")}
CHARTS = {
    "field": (L("By field (level 1)"), "bar"),
    "industry": (L("By industry"), "bar"),
    "region": (L("By region"), "bar"),
    "title": (L("By professional title"), "pie"),
    "status": (L("By status"), "pie"),
    "activity": (L("Invitations per expert, last 12 months"), "bar"),
}

FIELD_SQL = """
SELECT COALESCE(g.id, p.id, f.id) AS code, COALESCE(g.name, p.name, f.name) AS label, count(DISTINCT e.id) AS value
FROM exp_expert e CROSS JOIN LATERAL unnest(e.fields) AS x(field)
JOIN exp_field f ON f.id = x.field LEFT JOIN exp_field p ON p.id = f.parent LEFT JOIN exp_field g ON g.id = p.parent
WHERE e.status = 'formal' GROUP BY 1, 2 ORDER BY 3 DESC, 2
"""
ACTIVITY_SQL = f"""
SELECT n, count(*) AS experts FROM (
  SELECT e.id, (SELECT count(*) FROM exp_invitation i WHERE i.expert = e.id AND {COUNTED}
                AND i.opens_at >= now() - interval '12 months') AS n
  FROM exp_expert e WHERE e.status = 'formal') t GROUP BY n
"""


async def _column(column: str) -> list[dict]:
    rows = await db.fetch(f"SELECT NULLIF(trim({column}), '') AS code, count(*) AS value FROM exp_expert"
                          f" WHERE status = 'formal' GROUP BY 1 ORDER BY 2 DESC, 1")
    none = _("Not filled")
    return [{"code": r["code"] or "", "label": r["code"] or none, "value": r["value"]} for r in rows]


async def _fields() -> list[dict]:
    items = [{"code": str(r["code"]), "label": r["label"], "value": r["value"]} for r in await db.fetch(FIELD_SQL)]
    without = await db.fetchval("SELECT count(*) FROM exp_expert WHERE status = 'formal' AND cardinality(fields) = 0")
    if without:
        items.append({"code": "", "label": _("No field"), "value": without})
    return items


async def _status() -> list[dict]:
    rows = await db.fetch("SELECT status, count(*) AS value FROM exp_expert GROUP BY 1 ORDER BY 2 DESC")
    return [{"code": r["status"], "label": str(STATUS_LABELS.get(r["status"], r["status"])), "value": r["value"]}
            for r in rows]


async def activity() -> list[dict]:
    """Formal experts by how many invitations they had in the last 12 months: 0, 1–2, 3–5, 6+."""
    counts = {r["n"]: r["experts"] for r in await db.fetch(ACTIVITY_SQL)}
    out = []
    for label, low, high in ACTIVITY_BUCKETS:
        value = sum(v for n, v in counts.items() if n >= low and (high is None or n <= high))
        out.append({"code": label, "label": _("%(n)s invitations", n=label), "value": value})
    return out


def _top(items: list[dict], limit: int = TOP) -> list[dict]:
    if len(items) <= limit:
        return items
    rest = sum(i["value"] for i in items[limit - 1:])
    return items[:limit - 1] + [{"code": "*", "label": _("Others"), "value": rest}]


async def overview() -> dict:
    """Totals and every chart."""
    groups = {"field": await _fields(), "industry": _top(await _column("industry")),
              "region": _top(await _column("region")), "title": _top(await _column("title"), 8),
              "status": await _status(), "activity": await activity()}
    charts = [Chart(key, str(title), kind, groups[key]) for key, (title, kind) in CHARTS.items()]
    by_status = {i["code"]: i["value"] for i in groups["status"]}
    invited = await db.fetchval(f"SELECT count(DISTINCT i.expert) FROM exp_invitation i JOIN exp_expert e ON"
                                f" e.id = i.expert WHERE e.status = 'formal' AND {COUNTED}"
                                f" AND i.opens_at >= now() - interval '12 months'")
    totals = {"formal": by_status.get("formal", 0), "deleted": by_status.get("deleted", 0),
              "blacklisted": by_status.get("blacklisted", 0), "active": invited}
    return {"totals": totals, "charts": charts}


def export_rows(data: dict) -> tuple[list[tuple[str, str]], list[dict]]:
    """One row per chart item, for the xlsx export of the numbers."""
    columns = [("chart", _("Statistic")), ("label", _("Item")), ("value", _("Count")), ("share", _("Share (%)"))]
    totals = data["totals"]
    rows = [{"chart": _("Totals"), "label": label, "value": totals[key], "share": ""}
            for key, label in (("formal", _("Formal experts")), ("deleted", _("Delete list")),
                               ("blacklisted", _("Blacklist")), ("active", _("Invited in the last 12 months")))]
    for chart in data["charts"]:
        total = chart.total or 1
        rows += [{"chart": chart.title, "label": i["label"], "value": i["value"],
                  "share": round(i["value"] * 100 / total, 1)} for i in chart.items]
    return columns, rows

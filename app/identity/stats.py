"""Verification statistics (IDV-05): verified claims by method, by college and by entry year (grade), and
the funnel from claims opened to how they ended, over the claims opened in a period and inside the viewer's
data scope (the claimed college, Scope.sql in the SQL). The route draws them as SVG charts and exports xlsx."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from app.core import db, sqlfilter
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.identity.claims import METHODS

FUNNEL = (  # (key, label, SQL condition over idn_claim c)
    ("opened", L("Claims opened"), "TRUE"),
    ("id_match", L("Matched by ID number"), "c.status = 'verified' AND c.method = 'id_match'"),
    ("questions", L("Passed the questions"), "c.status = 'verified' AND c.method = 'questions'"),
    ("face", L("Verified by face"), "c.status = 'verified' AND c.method = 'face'"),
    ("manual", L("Approved in manual review"), "c.status = 'verified' AND c.method = 'manual'"),
    ("rejected", L("Rejected"), "c.status = 'rejected'"),
    ("pending", L("Waiting for review"), "c.status = 'pending'"),
    ("in_progress", L("Still in progress"), "c.status IN ('open', 'questions')"),
    ("withdrawn", L("Withdrawn"), "c.status = 'withdrawn'"),
)


@dataclass(frozen=True)
class Period:
    """Claims opened from `start` to `end` (inclusive); None: no bound."""
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> tuple[Period, dict[str, str]]:
        values, errors = sqlfilter.dates(params, "start", "end")
        start, end = values["start"], values["end"]
        if start and end and start > end:
            start, end = end, start
        return cls(start, end), errors


def _where(viewer: Actor, period: Period, args: list) -> str:
    parts = [viewer.scope.sql("c.college", None, args)]
    if period.start:
        args.append(period.start)
        parts.append(f"c.created_at >= ${len(args)}::date")
    if period.end:
        args.append(period.end + timedelta(days=1))
        parts.append(f"c.created_at < ${len(args)}::date")
    return " AND ".join(parts)


async def funnel(viewer: Actor, period: Period) -> list[dict]:
    args: list = []
    where = _where(viewer, period, args)
    counts = ", ".join(f"count(*) FILTER (WHERE {cond}) AS {key}" for key, _label, cond in FUNNEL)
    row = await db.fetchrow(f"SELECT {counts} FROM idn_claim c WHERE {where}", *args)
    return [{"code": key, "label": str(label), "value": row[key]} for key, label, _cond in FUNNEL]


async def _verified_by(viewer: Actor, period: Period, expr: str, order: str) -> list[dict]:
    args: list = []
    where = _where(viewer, period, args)
    return await db.fetch(f"SELECT {expr} AS code, count(*) AS value FROM idn_claim c"
                          f" LEFT JOIN org_node o ON o.id = c.college WHERE c.status = 'verified' AND {where}"
                          f" GROUP BY 1 ORDER BY {order}", *args)


async def overview(viewer: Actor, period: Period) -> dict:
    none = _("Not given")
    by_method = [{"code": r["code"], "label": str(METHODS.get(r["code"], r["code"])), "value": r["value"]}
                 for r in await _verified_by(viewer, period, "c.method", "2 DESC, 1")]
    by_college = [{"code": r["code"] or "", "label": r["code"] or none, "value": r["value"]}
                  for r in await _verified_by(viewer, period, "o.name", "2 DESC, 1")]
    by_year = [{"code": str(r["code"] or ""), "label": str(r["code"] or none), "value": r["value"]}
               for r in await _verified_by(viewer, period, "c.entry_year", "1 NULLS LAST")]
    steps = await funnel(viewer, period)
    opened = steps[0]["value"]
    verified = sum(s["value"] for s in steps if s["code"] in METHODS)
    return {"funnel": steps, "by_method": by_method, "by_college": by_college, "by_year": by_year,
            "totals": {"opened": opened, "verified": verified,
                       "rate": round(verified * 100 / opened, 1) if opened else 0}}


def export_rows(data: dict) -> tuple[list[tuple[str, str]], list[dict]]:
    """One row per number shown on the page, for the xlsx export."""
    columns = [("section", _("Statistic")), ("label", _("Breakdown")), ("value", _("Count"))]
    sections = ((_("Verification funnel"), data["funnel"]), (_("Verified by method"), data["by_method"]),
                (_("Verified by college"), data["by_college"]), (_("Verified by entry year"), data["by_year"]))
    rows = [{"section": title, "label": item["label"], "value": item["value"]}
            for title, items in sections for item in items]
    return columns, rows

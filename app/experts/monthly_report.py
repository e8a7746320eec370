"""The monthly per-department report of expert use (EXP-19 各部门的月度专家使用信息): for one month (Beijing time,
by the review's opening) and per department running the projects (the invitation's org node): projects,
invitations, accepted, declined or left, attended, distinct experts and fees — a comparison table and chart,
exported as xlsx and PDF. Data scope: a viewer limited to org subtrees sees only the departments inside them
(invitations without a department only with the whole tree); the scope goes into the SQL."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.core import db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L

TZ = "Asia/Shanghai"
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
# key, label, unit: the figures of one department (accepted counts the experts who later attended too).
FIGURES = (
    ("projects", L("Projects")),
    ("invitations", L("Invitations")),
    ("accepted", L("Invitations accepted")),
    ("declined", L("Declined or left")),
    ("attended", L("Attended")),
    ("experts", L("Experts")),
    ("fees_cents", L("Fees (confirmed and paid)")),
)
REPORT_SQL = """
SELECT i.department, count(DISTINCT i.project_ref) AS projects, count(*) AS invitations,
       count(*) FILTER (WHERE i.status IN ('accepted', 'attended')) AS accepted,
       count(*) FILTER (WHERE i.status IN ('declined', 'left')) AS declined,
       count(*) FILTER (WHERE i.status = 'attended') AS attended,
       count(DISTINCT i.expert) AS experts,
       COALESCE(sum(f.amount_cents) FILTER (WHERE f.status IN ('confirmed', 'paid')), 0) AS fees_cents
FROM exp_invitation i LEFT JOIN exp_fee f ON f.invitation = i.id
WHERE i.opens_at >= ($1::date::timestamp AT TIME ZONE '{tz}') AND i.opens_at < ($2::date::timestamp AT TIME ZONE '{tz}')
  AND {scope}
GROUP BY i.department
"""


@dataclass
class Month:
    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def code(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


def last_month(today: date | None = None) -> Month:
    today = today or date.today()
    return Month(today.year, today.month).shift(-1)


def parse_month(raw: str | None) -> Month:
    """YYYY-MM (empty: last month); Invalid("month", …) otherwise."""
    text = (raw or "").strip()
    if not text:
        return last_month()
    match = MONTH_RE.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise Invalid("month", _("Enter a month as YYYY-MM, e.g. 2026-11."))
    return Month(int(match.group(1)), int(match.group(2)))


def _scope(viewer: Actor, args: list) -> str:
    if viewer.scope.all:
        return "TRUE"
    return viewer.scope.sql("i.department", None, args)


async def report(viewer: Actor, month: Month) -> dict:
    """{"month", "rows": per department, "totals", "scoped"}: rows sorted by invitations, then name."""
    args: list = [month.start, month.end]
    scope = _scope(viewer, args)
    rows = await db.fetch(REPORT_SQL.format(tz=TZ, scope=scope), *args)
    names = {r["id"]: r for r in await db.fetch("SELECT id, name, code FROM org_node WHERE id = ANY($1::bigint[])",
                                               [r["department"] for r in rows if r["department"]])}
    for r in rows:
        node = names.get(r["department"])
        r["name"] = node["name"] if node else _("No department")
        r["code"] = node["code"] if node else ""
        r["fees"] = r["fees_cents"] / 100
    rows.sort(key=lambda r: (-r["invitations"], r["department"] is None, r["name"]))
    totals = {key: sum(r[key] for r in rows) for key, _label in FIGURES if key not in ("projects", "experts")}
    # projects and experts are distinct over the whole month, not the sum of the departments
    args2: list = [month.start, month.end]
    scope2 = _scope(viewer, args2)
    whole = await db.fetchrow(
        f"SELECT count(DISTINCT i.project_ref) AS projects, count(DISTINCT i.expert) AS experts FROM exp_invitation i"
        f" WHERE i.opens_at >= ($1::date::timestamp AT TIME ZONE '{TZ}')"
        f" AND i.opens_at < ($2::date::timestamp AT TIME ZONE '{TZ}') AND {scope2}", *args2)
    totals |= {"projects": whole["projects"], "experts": whole["experts"], "fees": totals["fees_cents"] / 100}
    return {"month": month, "rows": rows, "totals": totals, "scoped": not viewer.scope.all,
            "previous": month.shift(-1), "next": month.shift(1)}


def chart_series(data: dict) -> list[dict]:
    """Per department: invitations, accepted, attended (the grouped bar chart comparing departments)."""
    return [{"label": r["name"], "values": [r["invitations"], r["accepted"], r["attended"]]} for r in data["rows"]]


def chart_legend() -> list[str]:
    return [_("Invitations"), _("Invitations accepted"), _("Attended")]


def export_rows(data: dict) -> tuple[list[tuple[str, str]], list[dict]]:
    columns = [("name", _("Department")), ("code", _("Code"))] + [
        ("fees" if key == "fees_cents" else key, str(label)) for key, label in FIGURES]
    rows = [dict(r) for r in data["rows"]]
    rows.append({"name": _("Total"), "code": "", **data["totals"]})
    return columns, rows

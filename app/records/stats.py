"""Alumni statistics (REC-17): counts by type, gender, college, entry year, region (province), industry,
major and degree, over the persons the viewer may see (visibility.visible). One GROUP BY per chart; the
numbers are exported as xlsx by the route."""
from __future__ import annotations

from dataclasses import dataclass

from app.core import db, dictionary
from app.core.audit import Actor
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.records import fields, visibility

TOP = 20  # long tails (majors, industries) show their largest items


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # bar / pie / line
    items: list[dict]  # [{"code", "label", "value"}]

    @property
    def total(self) -> int:
        return sum(i["value"] for i in self.items)


# key -> (title, chart kind, SQL expression of the group, over persons p or education rows e, order)
CHARTS = {
    "kind": (L("By type"), "pie", "p.kind", "p", "count"),
    "gender": (L("By gender"), "pie", "p.gender", "p", "count"),
    "college": (L("By college"), "bar", "e.college", "e", "count"),
    "entry_year": (L("By entry year"), "line", "e.entry_year", "e", "code"),
    "region": (L("By region (province)"), "bar", "CASE WHEN p.region <> '' THEN left(p.region, 2) || '0000' END",
               "p", "count"),
    "industry": (L("By industry"), "bar", "p.industry", "p", "count"),
    "major": (L("By major"), "bar", "e.major", "e", "count"),
    "degree": (L("By degree level"), "pie", "e.degree", "e", "count"),
}
DICT_OF = {"gender": "gender", "region": "region", "industry": "industry", "degree": "degree_level"}


async def _group(actor: Actor, key: str) -> list[dict]:
    _title, _kind, expr, over, order = CHARTS[key]
    args: list = []
    where = visibility.visible(actor, args)
    if over == "p":
        sql = f"SELECT {expr} AS code, count(*) AS value FROM rec_person p WHERE {where} GROUP BY 1"
    else:  # a person with two education records in one college counts once there
        sql = (f"SELECT {expr} AS code, count(DISTINCT e.person) AS value FROM rec_education e"
               f" JOIN rec_person p ON p.id = e.person WHERE {where} GROUP BY 1")
    rows = await db.fetch(sql + (" ORDER BY 1" if order == "code" else " ORDER BY 2 DESC, 1"), *args)
    return [{"code": r["code"], "value": r["value"]} for r in rows]


async def _labels(key: str, items: list[dict]) -> None:
    none = _("Not filled")
    if key == "kind":
        names = {k: str(v) for k, v in fields.PERSON_KINDS.items()}
    elif key == "college":
        ids = [i["code"] for i in items if i["code"] is not None]
        rows = await db.fetch("SELECT id, name FROM org_node WHERE id = ANY($1::bigint[])", ids)
        names = {r["id"]: r["name"] for r in rows}
    elif key in DICT_OF:
        names = await dictionary.label_map(DICT_OF[key])
    else:
        names = {}
    for item in items:
        code = item["code"]
        item["label"] = none if code in (None, "") else str(names.get(code, code))
        item["code"] = "" if code is None else str(code)


def _top(items: list[dict], limit: int = TOP) -> list[dict]:
    if len(items) <= limit:
        return items
    rest = sum(i["value"] for i in items[limit - 1:])
    return items[:limit - 1] + [{"code": "*", "label": _("Others"), "value": rest}]


async def overview(actor: Actor) -> dict:
    """Totals and every chart for this viewer."""
    charts = []
    for key, (title, kind, *_rest) in CHARTS.items():
        items = await _group(actor, key)
        await _labels(key, items)
        charts.append(Chart(key, str(title), kind, items if key in ("entry_year", "college") else _top(items)))
    by_kind = {i["code"]: i["value"] for i in charts[0].items}
    args: list = []
    key_count = await db.fetchval(f"SELECT count(*) FROM rec_person p WHERE {visibility.visible(actor, args)}"
                                  f" AND p.is_key", *args)
    totals = {"all": sum(by_kind.values()), "alumni": by_kind.get("alumni", 0), "student": by_kind.get("student", 0),
              "staff": by_kind.get("staff", 0), "key": key_count}
    return {"totals": totals, "charts": charts}


def export_rows(data: dict) -> tuple[list[tuple[str, str]], list[dict]]:
    """One row per chart item, for the xlsx export of the numbers."""
    columns = [("chart", _("Statistic")), ("label", _("Item")), ("code", _("Code")), ("value", _("Count")),
               ("share", _("Share (%)"))]
    totals = data["totals"]
    rows = [{"chart": _("Totals"), "label": label, "code": code, "value": totals[code], "share": ""}
            for code, label in (("all", _("All records")), ("alumni", _("Alumni")), ("student", _("Student")),
                                ("staff", _("Staff")), ("key", _("Key alumni")))]
    for chart in data["charts"]:
        total = chart.total or 1
        rows += [{"chart": chart.title, "label": i["label"], "code": i["code"], "value": i["value"],
                  "share": round(i["value"] * 100 / total, 1)} for i in chart.items]
    return columns, rows

"""Data dictionary (SUP-10): code tables every select box reads. Built-in national codes are loaded
from app/support/data/dict/*.csv; admins add local codes."""
from __future__ import annotations

import csv
import time
from pathlib import Path

from app.core import db
from app.core.i18n import current_locale

DATA_DIR = Path(__file__).resolve().parent.parent / "support" / "data" / "dict"
_cache: dict[str, tuple[float, list[dict]]] = {}
TTL = 30.0


async def items(type_code: str, parent_code: str | None = None, include_disabled: bool = False) -> list[dict]:
    key = f"{type_code}|{parent_code}|{include_disabled}"
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < TTL:
        return hit[1]
    sql = "SELECT code, name, name_en, parent_code, level, enabled FROM dict_item WHERE type_code = $1"
    args: list = [type_code]
    if parent_code is not None:
        args.append(parent_code)
        sql += " AND parent_code = $2"
    if not include_disabled:
        sql += " AND enabled"
    rows = await db.fetch(sql + " ORDER BY sort, code", *args)
    _cache[key] = (time.monotonic(), rows)
    return rows


def label(item: dict) -> str:
    return item["name_en"] if current_locale.get() == "en" and item.get("name_en") else item["name"]


_label_maps: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}


async def label_map(type_code: str) -> dict[str, str]:
    """{code: label} of every code (disabled ones too: old records keep them) in the current language;
    built once per TTL, not per request — the region table alone has 485 codes."""
    key = (type_code, current_locale.get())
    hit = _label_maps.get(key)
    if hit and time.monotonic() - hit[0] < TTL:
        return hit[1]
    mapping = {i["code"]: label(i) for i in await items(type_code, include_disabled=True)}
    _label_maps[key] = (time.monotonic(), mapping)
    return mapping


async def choices(type_code: str, parent_code: str | None = None) -> list[tuple[str, str]]:
    return [(i["code"], label(i)) for i in await items(type_code, parent_code)]


async def resolve_choices(form) -> None:
    """Fill choices of dictionary-backed fields before rendering or validating a form."""
    for f in form.fields:
        if f.dict_type:
            f.choices = await choices(f.dict_type)


def invalidate() -> None:
    _cache.clear()
    _label_maps.clear()


def _level(parents: dict[str, str | None], code: str) -> int:
    """A code's depth in its table: 1 for a root, following `parents` (code → parent code or None)."""
    n, parent = 1, parents.get(code)
    while parent:
        n, parent = n + 1, parents.get(parent)
    return n


async def load_builtin() -> dict[str, int]:
    """Upsert the national code tables from the CSV files (idempotent; admin-added codes stay)."""
    counts: dict[str, int] = {}
    types_file = DATA_DIR / "types.csv"
    if not types_file.exists():
        return counts
    with types_file.open(encoding="utf-8") as f:
        for t in csv.DictReader(f):
            await db.execute(
                "INSERT INTO dict_type (code, name, description, hierarchical, builtin) VALUES ($1,$2,$3,$4,TRUE) "
                "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, "
                "hierarchical = EXCLUDED.hierarchical",
                t["code"], t["name"], t.get("description") or t.get("name_en") or "", t.get("hierarchical") == "1")
            path = DATA_DIR / f"{t['code']}.csv"
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as rows_file:
                rows = list(csv.DictReader(rows_file))
            parents = {r["code"]: r.get("parent_code") or None for r in rows}
            await db.execute(
                "INSERT INTO dict_item (type_code, code, name, name_en, parent_code, level, sort, builtin) "
                "SELECT $1, x.code, x.name, x.name_en, NULLIF(x.parent, ''), x.level, x.sort, TRUE "
                "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[]) "
                "AS x(code, name, name_en, parent, level, sort) "
                "ON CONFLICT (type_code, code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, "
                "parent_code = EXCLUDED.parent_code, level = EXCLUDED.level",
                t["code"], [r["code"] for r in rows], [r["name"] for r in rows], [r.get("name_en", "") for r in rows],
                [r.get("parent_code") or "" for r in rows], [_level(parents, r["code"]) for r in rows],
                list(range(len(rows))))
            counts[t["code"]] = len(rows)
    invalidate()
    return counts

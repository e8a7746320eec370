"""Region picker for addresses (GB/T 2260 codes from the `region` dictionary): province, then the city
(or, in a municipality, the district). The stored code is the 6-digit leaf; its prefix drives shipping
rules ('11' Beijing, '4403' Shenzhen)."""
from __future__ import annotations

from app.core import dictionary


async def _all() -> list[dict]:
    return await dictionary.items("region")


async def provinces() -> list[tuple[str, str]]:
    return [(r["code"], dictionary.label(r)) for r in await _all() if not r.get("parent_code")]


async def children(province: str) -> list[tuple[str, str]]:
    if not province:
        return []
    return [(r["code"], dictionary.label(r)) for r in await _all() if r.get("parent_code") == province]


async def is_leaf_code(code: str) -> bool:
    """A code the address may hold: a city/district, or a province without subdivisions."""
    rows = await _all()
    known = {r["code"]: r for r in rows}
    if code not in known:
        return False
    has_children = any(r.get("parent_code") == code for r in rows)
    return not has_children


async def full_name(code: str) -> str:
    """'广东省 深圳市' — Chinese names (what a courier reads), whatever the UI language."""
    known = {r["code"]: r for r in await _all()}
    parts = []
    while code and code in known:
        parts.append(known[code]["name"])
        code = known[code].get("parent_code") or ""
    return " ".join(reversed(parts))


def province_of(code: str) -> str:
    return (code[:2] + "0000") if code else ""

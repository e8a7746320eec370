"""The SKU table of the product form (MALL-05), without JS: the spec columns are named in one text field
("颜色, 尺码"), every row has one cell per column plus code, points price, optional cash price (yuan) and
stock; blank rows are ignored, "remove" drops a row. Rows keep exactly what was typed so a refused
form comes back unchanged."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.core import money
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.mall.categories import split_values

BLANK_ROWS = 3
MAX_ROWS = 200


@dataclass
class SkuRow:
    id: str = ""
    spec: list[str] = field(default_factory=list)  # one value per spec column
    code: str = ""
    points: str = ""
    cash: str = ""
    stock: str = ""
    stock_was: str = ""  # stock shown when the form was loaded: saving applies the difference
    active: bool = True
    remove: bool = False

    def blank(self) -> bool:
        return not self.id and not any(self.spec) and not (self.code or self.points or self.cash or self.stock)


def rows_from_form(data: dict[str, Any]) -> tuple[list[str], list[SkuRow]]:
    names = split_values(data.get("spec_names"))[:5]
    try:
        count = min(int(data.get("sku_rows") or 0), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for i in range(count):
        def get(key: str, i: int = i) -> str:
            return str(data.get(f"sku-{i}-{key}") or "").strip()
        rows.append(SkuRow(get("id"), [get(f"spec-{j}") for j in range(len(names))], get("code"), get("points"),
                           get("cash"), get("stock"), get("stock_was"), not get("disabled"), bool(get("remove"))))
    return names, rows


def rows_from_db(skus: list[dict]) -> tuple[list[str], list[SkuRow]]:
    names: list[str] = []
    for sku in skus:
        for key in _spec(sku):
            if key not in names:
                names.append(key)
    rows = [SkuRow(str(s["id"]), [str(_spec(s).get(n, "")) for n in names], s["code"], str(s["price_points"]),
                   f"{s['price_cash'] / 100:g}" if s["price_cash"] else "", str(s["stock"]), str(s["stock"]),
                   s["status"] == "active") for s in skus]
    return names, rows


def _spec(sku: dict) -> dict:
    spec = sku.get("spec") or {}
    return json.loads(spec) if isinstance(spec, str) else spec


def with_blank_rows(rows: list[SkuRow], names: list[str], extra: int = BLANK_ROWS) -> list[SkuRow]:
    """Keep the typed rows and make sure `extra` blank rows follow (fixed blanks: no JS needed)."""
    rows = [SkuRow(r.id, (r.spec + [""] * len(names))[:len(names)], r.code, r.points, r.cash, r.stock, r.stock_was,
                   r.active, r.remove) for r in rows]
    trailing = 0
    for r in reversed(rows):
        if not r.blank():
            break
        trailing += 1
    return rows + [SkuRow(spec=[""] * len(names)) for _ in range(max(0, extra - trailing))]


def _whole(value: str, name: str, message: str) -> int:
    try:
        number = int(value or "0")
    except ValueError:
        raise Invalid(name, message) from None
    if number < 0:
        raise Invalid(name, message)
    return number


def clean(names: list[str], rows: list[SkuRow]) -> list[dict]:
    """Validated SKUs to keep: {id|None, spec, code, price_points, price_cash (fen), stock, delta, status}."""
    out, seen = [], set()
    for i, row in enumerate(rows):
        if row.blank() or row.remove:
            continue
        spec = {}
        for j, name in enumerate(names):
            value = row.spec[j] if j < len(row.spec) else ""
            if not value:
                raise Invalid(f"sku-{i}-spec-{j}", _("Enter the %(name)s of every SKU.", name=name))
            spec[name] = value[:64]
        key = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        if key in seen:
            raise Invalid(f"sku-{i}-spec-0", _("Two SKUs have the same spec values."))
        seen.add(key)
        if not row.points:
            raise Invalid(f"sku-{i}-points", _("Enter the price in points."))
        points = _whole(row.points, f"sku-{i}-points", _("Enter a whole number of points."))
        cash = money.fen(row.cash or "0")
        if cash is None:
            raise Invalid(f"sku-{i}-cash", _("Enter the cash price in yuan, e.g. 9.90."))
        if points == 0 and cash == 0:
            raise Invalid(f"sku-{i}-points", _("Give the SKU a price in points or cash."))
        stock = _whole(row.stock, f"sku-{i}-stock", _("Enter the stock as a whole number."))
        was = _whole(row.stock_was, f"sku-{i}-stock", _("Enter the stock as a whole number.")) if row.id else 0
        if len(row.code) > 64:
            raise Invalid(f"sku-{i}-code", _("Use at most %(n)s characters.", n=64))
        out.append({"id": int(row.id) if row.id.isdigit() else None, "row": i, "spec": spec, "code": row.code,
                    "price_points": points, "price_cash": cash, "stock": stock, "delta": stock - was,
                    "status": "active" if row.active else "disabled", "sort": len(out)})
    if not out:
        raise Invalid("sku-0-points", _("Add at least one SKU with its price and stock."))
    return out

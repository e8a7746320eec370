"""Products (MALL-05): list with filters, create/edit with sanitised rich detail, gallery images, SKUs;
batch on/off shelf. Product images are catalogue content, stored under the storage key prefix "mall/"
and served without a signed link (shop pages are shared to WeChat)."""
from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.core import audit, db, uploads
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.pagination import Page, PageRequest
from app.core.security import sanitize_html
from app.core.storage import storage
from app.mall import skus as sku_table

STATUSES = {"on_shelf": L("On shelf"), "off_shelf": L("Off shelf")}
MODES = {"express": L("Express delivery"), "pickup": L("Self pickup")}
LOW_STOCK = 10  # an active SKU at or below this is "low stock" in the list filter
IMAGE_PREFIX = "/mall/images/"
MAX_IMAGES = 12


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class ProductFilters:
    category: int | None = None
    status: str = ""
    q: str = ""
    low_stock: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ProductFilters:
        category = str(params.get("category") or "")
        return cls(int(category) if category.isdigit() else None,
                   params.get("status") if params.get("status") in STATUSES else "",
                   (params.get("q") or "").strip()[:100], params.get("stock") == "low")


async def list_products(f: ProductFilters, req: PageRequest) -> Page:
    args: list = []
    conds = ["TRUE"]
    if f.category:
        args.append(f.category)
        conds.append(f"p.category IN (WITH RECURSIVE d AS (SELECT id FROM mall_category WHERE id = ${len(args)}"
                     " UNION ALL SELECT c.id FROM mall_category c JOIN d ON c.parent = d.id) SELECT id FROM d)")
    if f.status:
        args.append(f.status)
        conds.append(f"p.status = ${len(args)}")
    if f.q:
        args.append(f"%{f.q}%")
        conds.append(f"(p.name ILIKE ${len(args)} OR p.subtitle ILIKE ${len(args)} OR EXISTS (SELECT 1 FROM mall_sku k"
                     f" WHERE k.product = p.id AND k.code ILIKE ${len(args)}))")
    if f.low_stock:
        conds.append(f"EXISTS (SELECT 1 FROM mall_sku k WHERE k.product = p.id AND k.status = 'active'"
                     f" AND k.stock <= {LOW_STOCK})")
    where = " AND ".join(conds)
    total = await db.fetchval(f"SELECT count(*) FROM mall_product p WHERE {where}", *args)
    order = req.order_by({"name": "p.name", "sales": "p.sales", "stock": "s.stock", "points": "s.min_points",
                          "updated": "p.updated_at"}, "p.sort, p.id DESC").replace(", id", ", p.id")
    rows = await db.fetch(
        f"SELECT p.id, p.name, p.subtitle, p.cover, p.status, p.sales, p.sort, p.updated_at, c.name AS category_name,"
        f" s.sku_count, s.stock, s.min_points, s.max_points, s.low FROM mall_product p"
        f" LEFT JOIN mall_category c ON c.id = p.category"
        f" LEFT JOIN LATERAL (SELECT count(*) AS sku_count, COALESCE(sum(stock), 0) AS stock,"
        f" min(price_points) AS min_points, max(price_points) AS max_points,"
        f" bool_or(stock <= {LOW_STOCK}) AS low FROM mall_sku WHERE product = p.id AND status = 'active') s ON TRUE"
        f" WHERE {where} {order} LIMIT {req.per_page} OFFSET {req.offset}", *args)
    return Page(rows, total, req.page, req.per_page, req.sort)


async def get(product_id: int) -> dict:
    row = await db.fetchrow("SELECT * FROM mall_product WHERE id = $1", product_id)
    if row is None:
        raise NotFound(product_id)
    row["skus"] = await db.fetch("SELECT * FROM mall_sku WHERE product = $1 ORDER BY sort, id", product_id)
    return row


# --- images ---------------------------------------------------------------------------------------------

async def store_image(filename: str, data: bytes, field: str = "new_images") -> str:
    """Checked like every upload (type, size, sniffed content); returns the public image URL."""
    await uploads.check(filename, data, images_only=True, field=field)
    key = f"mall/{date.today():%Y/%m}/{secrets.token_urlsafe(16)}.{filename.rsplit('.', 1)[-1].lower()}"
    storage().put(key, data)
    return IMAGE_PREFIX + key


def image_key(path: str) -> str | None:
    """The storage key behind a public mall image path, or None for anything else."""
    key = path.lstrip("/")
    return key if key.startswith("mall/") and ".." not in key else None


def ordered_images(data: dict[str, Any]) -> list[str]:
    """Gallery from the form: the kept images sorted by their position field, then new uploads."""
    images = data.get("images") or []
    images = images if isinstance(images, list) else [images]
    removed = data.get("remove_images") or []
    removed = set(removed if isinstance(removed, list) else [removed])
    keyed = []
    for i, url in enumerate(images):
        raw = str(data.get(f"image_pos_{i}") or "").strip()
        keyed.append((int(raw) if raw.lstrip("-").isdigit() else i + 1, i, url))
    allowed = [u for _p, _i, u in sorted(keyed) if u not in removed and _safe_image(u)]
    return list(dict.fromkeys(allowed))[:MAX_IMAGES]


def _safe_image(url: str) -> bool:
    return isinstance(url, str) and (url.startswith(IMAGE_PREFIX) or url.startswith("/static/img/"))


# --- create / edit ----------------------------------------------------------------------------------------

async def _clean(data: dict[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise Invalid("name", _("Enter the product name."))
    if len(name) > 120:
        raise Invalid("name", _("Use at most %(n)s characters.", n=120))
    subtitle = (data.get("subtitle") or "").strip()
    if len(subtitle) > 200:
        raise Invalid("subtitle", _("Use at most %(n)s characters.", n=200))
    category_raw = str(data.get("category") or "")
    category = int(category_raw) if category_raw.isdigit() else None
    if category is not None and not await db.fetchval("SELECT 1 FROM mall_category WHERE id = $1", category):
        raise Invalid("category", _("Choose from the list."))
    modes = data.get("delivery_modes") or []
    modes = [m for m in (modes if isinstance(modes, list) else [modes]) if m in MODES]
    if not modes:
        raise Invalid("delivery_modes", _("Choose at least one delivery mode."))
    sort_raw = str(data.get("sort") or "0").strip()
    if not sort_raw.lstrip("-").isdigit():
        raise Invalid("sort", _("Enter a whole number."))
    images = ordered_images(data)
    cover = data.get("cover") if data.get("cover") in images else (images[0] if images else "")
    return {"name": name, "subtitle": subtitle, "category": category,
            "detail_html": sanitize_html(str(data.get("detail_html") or "")), "images": images, "cover": cover,
            "delivery_modes": modes, "sort": int(sort_raw)}


async def save(actor: Actor, data: dict[str, Any], product_id: int | None = None) -> int:
    """Create or update a product with its SKUs in one transaction. New products start off the shelf."""
    values = await _clean(data)
    names, rows = sku_table.rows_from_form(data)
    clean_skus = sku_table.clean(names, rows)
    cols = list(values)
    async with db.transaction():
        if product_id is None:
            before = None
            placeholders = ", ".join(f"${i + 1}" for i in range(len(cols)))
            product_id = await db.fetchval(
                f"INSERT INTO mall_product ({', '.join(cols)}, status, created_by, updated_by)"
                f" VALUES ({placeholders}, 'off_shelf', ${len(cols) + 1}, ${len(cols) + 1}) RETURNING id",
                *values.values(), actor.id)
        else:
            before = await get(product_id)
            sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
            await db.execute(f"UPDATE mall_product SET {sets}, updated_by = ${len(cols) + 2}, updated_at = now()"
                             f" WHERE id = $1", product_id, *values.values(), actor.id)
        await _save_skus(actor, product_id, clean_skus)
        after = {**values, "skus": [{k: v for k, v in s.items() if k != "row"} for s in clean_skus]}
        if before:
            before["skus"] = [{k: s[k] for k in ("id", "spec", "code", "price_points", "price_cash", "stock", "status")}
                              for s in before["skus"]]
        await audit.record(actor, "update" if before else "create", "mall_product", product_id, before=before,
                           after=after, summary=values["name"])
    return product_id


async def _save_skus(actor: Actor, product_id: int, clean_skus: list[dict]) -> None:
    existing = {r["id"] for r in await db.fetch("SELECT id FROM mall_sku WHERE product = $1", product_id)}
    kept = set()
    for sku in clean_skus:
        if sku["code"] and await db.fetchval("SELECT 1 FROM mall_sku WHERE code = $1 AND id <> $2",
                                             sku["code"], sku["id"] or 0):
            raise Invalid(f"sku-{sku['row']}-code", _("This SKU code is already used."))
        spec = json.dumps(sku["spec"], ensure_ascii=False)
        if sku["id"] in existing:
            kept.add(sku["id"])
            # Stock moves by the difference to what the form showed: sales made meanwhile are not undone.
            updated = await db.fetchval(
                "UPDATE mall_sku SET spec = $2::jsonb, code = $3, price_points = $4, price_cash = $5,"
                " stock = GREATEST(stock + $6, 0), status = $7, sort = $8, updated_by = $9, updated_at = now()"
                " WHERE id = $1 RETURNING id", sku["id"], spec, sku["code"], sku["price_points"], sku["price_cash"],
                sku["delta"], sku["status"], sku["sort"], actor.id)
            assert updated
        else:
            await db.execute(
                "INSERT INTO mall_sku (product, spec, code, price_points, price_cash, stock, status, sort, created_by,"
                " updated_by) VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9, $9)", product_id, spec, sku["code"],
                sku["price_points"], sku["price_cash"], sku["stock"], sku["status"], sku["sort"], actor.id)
    gone = sorted(existing - kept)
    if gone:
        await db.execute("DELETE FROM mall_sku WHERE id = ANY($1::bigint[])", gone)


async def set_shelf(actor: Actor, ids: list[int], status: str) -> int:
    """Batch on/off shelf; a product goes on the shelf only with at least one active SKU. Returns the count."""
    if status not in STATUSES:
        raise Invalid("status", _("Choose on shelf or off shelf."))
    if not ids:
        raise Invalid("ids", _("Select at least one product."))
    extra = (" AND EXISTS (SELECT 1 FROM mall_sku k WHERE k.product = p.id AND k.status = 'active')"
             if status == "on_shelf" else "")
    async with db.transaction():
        rows = await db.fetch(f"UPDATE mall_product p SET status = $2, updated_by = $3, updated_at = now()"
                              f" WHERE p.id = ANY($1::bigint[]) AND p.status <> $2{extra} RETURNING p.id",
                              ids, status, actor.id)
        changed = [r["id"] for r in rows]
        if changed:
            await audit.record(actor, status, "mall_product", ",".join(map(str, changed))[:200],
                               after={"ids": changed, "status": status}, summary=f"{len(changed)}")
    return len(changed)

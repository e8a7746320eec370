"""What the H5 shop shows (MALL-05/06 for alumni): categories, products on the shelf with search and
paging, a product with its SKUs, and the buyer's cart. Only on-shelf products are visible."""
from __future__ import annotations

from app.core import audit, db
from app.core.audit import Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import Page
from app.mall.checkout import Line, as_dict, spec_text

PER_PAGE = 10
MAX_QTY = 99


class NotFound(Exception):
    pass


async def categories() -> list[dict]:
    return await db.fetch("SELECT id, name, icon FROM mall_category WHERE enabled AND parent IS NULL"
                          " ORDER BY sort, id")


async def products(q: str = "", category: int | None = None, page: int = 1) -> Page:
    args: list = []
    where = ["p.status = 'on_shelf'"]
    if q:
        args.append(f"%{q}%")
        where.append(f"(p.name ILIKE ${len(args)} OR p.subtitle ILIKE ${len(args)})")
    if category:
        args.append(category)
        where.append(f"(p.category = ${len(args)} OR p.category IN"
                     f" (SELECT id FROM mall_category WHERE parent = ${len(args)}))")
    sql_where = " AND ".join(where)
    total = await db.fetchval(f"SELECT count(*) FROM mall_product p WHERE {sql_where}", *args)
    page = max(1, page)
    rows = await db.fetch(
        f"SELECT p.id, p.name, p.subtitle, p.cover, p.sales, min(s.price_points) AS price_points,"
        f" min(s.price_cash) AS price_cash, COALESCE(sum(s.stock), 0) AS stock"
        f" FROM mall_product p LEFT JOIN mall_sku s ON s.product = p.id AND s.status = 'active'"
        f" WHERE {sql_where} GROUP BY p.id ORDER BY p.sort, p.id"
        f" LIMIT {PER_PAGE} OFFSET {(page - 1) * PER_PAGE}", *args)
    return Page(rows, total, page, PER_PAGE)


async def product(product_id: int) -> dict:
    row = await db.fetchrow("SELECT p.*, c.name AS category_name FROM mall_product p"
                            " LEFT JOIN mall_category c ON c.id = p.category"
                            " WHERE p.id = $1 AND p.status = 'on_shelf'", product_id)
    if row is None:
        raise NotFound()
    skus = await db.fetch("SELECT id, spec, price_points, price_cash, stock FROM mall_sku"
                          " WHERE product = $1 AND status = 'active' ORDER BY sort, id", product_id)
    row["skus"] = [{**s, "spec": as_dict(s["spec"]), "label": spec_text(s["spec"]) or _("Standard")} for s in skus]
    row["images"] = row["images"] or ([row["cover"]] if row["cover"] else [])
    return row


# --- cart -----------------------------------------------------------------------------------------

def parse_qty(raw) -> int:
    try:
        qty = int(str(raw or "1").strip())
    except ValueError:
        raise Invalid("qty", _("Enter a whole number.")) from None
    if not 1 <= qty <= MAX_QTY:
        raise Invalid("qty", _("Choose a quantity from 1 to %(n)s.", n=MAX_QTY))
    return qty


async def sku_on_shelf(sku_id: int | None) -> dict:
    row = await db.fetchrow("SELECT s.id, s.stock, s.product FROM mall_sku s JOIN mall_product p ON p.id = s.product"
                            " WHERE s.id = $1 AND s.status = 'active' AND p.status = 'on_shelf'", sku_id or 0)
    if row is None:
        raise Invalid("sku", _("Choose a specification."))
    return row


async def add_to_cart(user: Actor, sku_id: int | None, qty: int) -> None:
    sku = await sku_on_shelf(sku_id)
    if sku["stock"] < qty:
        raise Invalid("qty", _("Only %(n)s left in stock.", n=sku["stock"]))
    async with db.transaction():
        await db.execute("INSERT INTO mall_cart (\"user\", sku, qty, created_by)"
                         " VALUES ($1::bigint, $2, $3, $1::bigint)"
                         " ON CONFLICT (\"user\", sku) DO UPDATE SET qty = LEAST(mall_cart.qty + EXCLUDED.qty, $4),"
                         " updated_at = now()", user.id, sku_id, qty, MAX_QTY)
        await audit.record(user, "mall.cart.add", "mall_cart", sku_id, after={"qty": qty})


async def set_cart_qty(user: Actor, sku_id: int, qty: int) -> None:
    async with db.transaction():
        if qty <= 0:
            await db.execute("DELETE FROM mall_cart WHERE \"user\" = $1 AND sku = $2", user.id, sku_id)
        else:
            await db.execute("UPDATE mall_cart SET qty = $3, updated_at = now() WHERE \"user\" = $1 AND sku = $2",
                             user.id, sku_id, min(qty, MAX_QTY))
        await audit.record(user, "mall.cart.update", "mall_cart", sku_id, after={"qty": qty})


async def cart(user_id: int) -> list[dict]:
    rows = await db.fetch(
        "SELECT c.sku, c.qty, s.spec, s.price_points, s.price_cash, s.stock, p.id AS product_id, p.name, p.cover,"
        " (s.status = 'active' AND p.status = 'on_shelf') AS available FROM mall_cart c"
        " JOIN mall_sku s ON s.id = c.sku JOIN mall_product p ON p.id = s.product"
        " WHERE c.\"user\" = $1 ORDER BY c.created_at, c.id", user_id)
    return [{**r, "spec_text": spec_text(r["spec"])} for r in rows]


async def cart_count(user_id: int) -> int:
    return await db.fetchval("SELECT COALESCE(sum(qty), 0) FROM mall_cart WHERE \"user\" = $1", user_id)


def lines_from_cart(rows: list[dict]) -> list[Line]:
    return [Line(r["sku"], r["qty"]) for r in rows if r["available"]]

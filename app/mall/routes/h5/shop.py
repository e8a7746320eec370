"""H5 shop for alumni (MALL-05/06): home with categories, search and paging; product page with gallery,
detail and SKU choice (add to cart / buy now); the cart. Plain links and forms; htmx only swaps the
product grid."""
from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, int_param, page_param, redirect, render
from app.mall import reviews, shop
from app.mall.routes.h5 import H5


@get("/h5/mall", guards=H5)
async def mall_home(request: Request) -> Response:
    q = (request.query_params.get("q") or "").strip()[:50]
    category = int_param(request.query_params.get("category"))
    page = await shop.products(q, category, page_param(request.query_params.get("page")))
    return await render(request, "mall/h5/home.html", page=page, q=q, category=category,
                        categories=await shop.categories(), cart_count=await shop.cart_count(actor(request).id),
                        block="results", share_title=_("Points mall"),
                        share_description=_("Redeem your alumni points for school gifts."))


async def _product_page(request: Request, product_id: int, errors: dict | None = None, values: dict | None = None,
                        status: int = 200) -> Response:
    try:
        product = await shop.product(product_id)
    except shop.NotFound:
        raise NotFoundException() from None
    return await render(request, "mall/h5/product.html", product=product, errors=errors or {},
                        values=values or {"sku": str(product["skus"][0]["id"]) if len(product["skus"]) == 1 else "",
                                          "qty": "1"},
                        reviews=await _reviews(product_id), status=status, share_title=product["name"],
                        share_description=product["subtitle"] or product["name"],
                        share_image=product["cover"] or None)


async def _reviews(product_id: int) -> dict:
    """The approved reviews (moderated in the admin, MALL-09) and their star summary."""
    return {"page": await reviews.approved_for_product(product_id, 1), "summary": await reviews.summary(product_id)}


@get("/h5/mall/products/{product_id:int}", guards=H5)
async def product_page(request: Request, product_id: int) -> Response:
    return await _product_page(request, product_id)


@post("/h5/mall/products/{product_id:int}", guards=H5)
async def product_action(request: Request, product_id: int) -> Response:
    """Add to cart or buy now, from the same form (two submit buttons named `action`)."""
    data = await form_data(request)
    try:
        qty = shop.parse_qty(data.get("qty"))
        if data.get("action") == "buy":
            sku = await shop.sku_on_shelf(int_param(data.get("sku")))
            if sku["product"] != product_id:
                raise Invalid("sku", _("Choose a specification."))
            return redirect(request, "/h5/mall/checkout?" + urlencode({"sku": sku["id"], "qty": qty}))
        await shop.add_to_cart(actor(request), int_param(data.get("sku")), qty)
    except Invalid as exc:
        return await _product_page(request, product_id, {exc.field: exc.message}, data, status=422)
    return redirect(request, f"/h5/mall/products/{product_id}", _("Added to your cart."))


@get("/h5/mall/cart", guards=H5)
async def cart_page(request: Request) -> Response:
    rows = await shop.cart(actor(request).id)
    return await render(request, "mall/h5/cart.html", rows=rows, total=sum(r["price_points"] * r["qty"] for r in rows
                                                                            if r["available"]),
                        cash=sum(r["price_cash"] * r["qty"] for r in rows if r["available"]),
                        share_title=_("Cart"))


@post("/h5/mall/cart/{sku_id:int}", guards=H5)
async def cart_update(request: Request, sku_id: int) -> Response:
    data = await form_data(request)
    if data.get("action") == "remove":
        await shop.set_cart_qty(actor(request), sku_id, 0)
        return redirect(request, "/h5/mall/cart", _("Removed from your cart."))
    try:
        qty = shop.parse_qty(data.get("qty"))
    except Invalid as exc:
        return redirect(request, "/h5/mall/cart", exc.message, "error")
    await shop.set_cart_qty(actor(request), sku_id, qty)
    return redirect(request, "/h5/mall/cart", _("Cart updated."))


ROUTES = [mall_home, product_page, product_action, cart_page, cart_update]

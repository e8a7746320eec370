"""Product admin pages (MALL-05) and the public product image route. The form posts multipart (images);
"Add rows" / "Update spec columns" re-show the form with everything typed and uploaded kept."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import requires
from app.core.storage import storage
from app.core.uploads import SIGNATURES
from app.core.web import actor, form_data, redirect, render, safe_next
from app.mall import categories, products
from app.mall import skus as sku_table

BASE = "/admin/mall/products"
EDIT = [requires("mall.product.edit")]


@get(BASE, guards=[requires("mall.product.view")])
async def product_list(request: Request) -> Response:
    params = request.query_params
    filters = products.ProductFilters.from_query(params)
    page = await products.list_products(filters, PageRequest.from_query(params))
    return await render(request, "mall/admin/products.html", page=page, filters=filters, statuses=products.STATUSES,
                        category_choices=await categories.choices(), low_stock=products.LOW_STOCK, block="results")


async def _form(request: Request, data: dict, product: dict | None, names: list[str], rows: list,
                errors: dict | None = None, status: int = 200, extra_rows: int = sku_table.BLANK_ROWS) -> Response:
    rows = sku_table.with_blank_rows(rows, names, extra_rows)
    images = products.ordered_images(data)
    cover = data.get("cover") if data.get("cover") in images else (images[0] if images else "")
    return await render(request, "mall/admin/product_form.html", data=data, product=product, spec_names=names,
                        rows=rows, images=images, cover=cover, errors=errors or {}, status=status,
                        category_choices=await categories.choices(), modes=products.MODES, statuses=products.STATUSES)


@get(f"{BASE}/new", guards=EDIT)
async def product_new(request: Request) -> Response:
    return await _form(request, {"delivery_modes": ["express", "pickup"], "sort": "0"}, None, [], [])


@get(f"{BASE}/{{product_id:int}}", guards=EDIT)
async def product_edit(request: Request, product_id: int) -> Response:
    try:
        product = await products.get(product_id)
    except products.NotFound:
        raise NotFoundException() from None
    names, rows = sku_table.rows_from_db(product["skus"])
    data = {**product, "category": product["category"] or "", "images": product["images"] or []}
    return await _form(request, data, product, names, rows, extra_rows=1)


async def _submit(request: Request, product_id: int | None) -> Response:
    product = None
    if product_id is not None:
        try:
            product = await products.get(product_id)
        except products.NotFound:
            raise NotFoundException() from None
    data = await form_data(request)
    errors: dict = {}
    # Uploads are stored first and join the gallery, so a refused form keeps them.
    files = data.pop("new_images", None) or []
    images = data.get("images") or []
    images = list(images if isinstance(images, list) else [images])
    for upload in files if isinstance(files, list) else [files]:
        if getattr(upload, "filename", ""):
            try:
                images.append(await products.store_image(upload.filename, await upload.read()))
            except Invalid as exc:
                errors[exc.field] = exc.message
    data["images"] = images
    names, rows = sku_table.rows_from_form(data)
    action = data.get("_action")
    if not names and data.get("category") and action == "columns":
        names = [a["name"] for a in await categories.attributes(int(data["category"]))][:5]
    if action in ("add_rows", "columns") or errors:
        return await _form(request, data, product, names, rows, errors, 422 if errors else 200,
                           extra_rows=sku_table.BLANK_ROWS + (3 if action == "add_rows" else 0))
    try:
        saved = await products.save(actor(request), data, product_id)
    except Invalid as exc:
        return await _form(request, data, product, names, rows, {exc.field or "__all__": exc.message}, 422)
    return redirect(request, f"{BASE}/{saved}", _("Product saved."))


@post(BASE, guards=EDIT)
async def product_create(request: Request) -> Response:
    return await _submit(request, None)


@post(f"{BASE}/{{product_id:int}}", guards=EDIT)
async def product_update(request: Request, product_id: int) -> Response:
    return await _submit(request, product_id)


@post(f"{BASE}/shelf", guards=[requires("mall.product.shelf")])
async def product_shelf(request: Request) -> Response:
    """Bulk action of the product list: put the selected products on or off the shelf."""
    data = await form_data(request)
    ids = data.get("ids") or []
    ids = [int(i) for i in (ids if isinstance(ids, list) else [ids]) if str(i).isdigit()]
    status = request.query_params.get("to") or data.get("to") or ""
    back = safe_next(request.query_params.get("next") or data.get("next"), BASE)
    try:
        count = await products.set_shelf(actor(request), ids, status)
    except Invalid as exc:
        return redirect(request, back, exc.message, "error")
    message = _("%(n)s products are now on the shelf.", n=count) if status == "on_shelf" else \
        _("%(n)s products are now off the shelf.", n=count)
    skipped = len(ids) - count
    if skipped:
        message += " " + _("%(n)s were skipped (already there, or no active SKU).", n=skipped)
    return redirect(request, back, message)


@get("/mall/images/{path:path}")
async def product_image(path: str) -> Response:
    """Catalogue images are public (shared pages); only keys under mall/ are served."""
    key = products.image_key(path)
    if key is None or not storage().exists(key):
        raise NotFoundException()
    data = storage().get(key)
    content_type = next((ct for magic, _exts, ct in SIGNATURES if data.startswith(magic)), "application/octet-stream")
    return Response(data, media_type=content_type, headers={"Cache-Control": "public, max-age=86400"})


ROUTES = [product_list, product_new, product_edit, product_create, product_update, product_shelf, product_image]

"""The buyer's address book on the phone: list, add, edit, delete (confirmed), make default. The region
picker is two selects (province, then city/district); without JS a "Show cities" button re-renders the
form with the cities of the chosen province, keeping everything typed; htmx swaps only the second select."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Invalid
from app.core.i18n import gettext as _
from app.core.web import actor, form_data, redirect, render, safe_next
from app.mall import addresses, regions
from app.mall.routes.h5 import H5, h5_confirm


async def _form_page(request: Request, form, address_id: int | None, status: int = 200) -> Response:
    province = form.value("province") or regions.province_of(form.value("region_code") or "")
    return await render(request, "mall/h5/address_form.html", form=form, address_id=address_id,
                        provinces=await regions.provinces(), cities=await regions.children(province),
                        province=province, next=safe_next(request.query_params.get("next"), "/h5/mall/addresses"),
                        status=status, share_title=_("Address"))


async def _own(request: Request, address_id: int) -> dict:
    try:
        return await addresses.get(actor(request).id, address_id)
    except addresses.NotFound:
        raise NotFoundException() from None


@get("/h5/mall/addresses", guards=H5)
async def address_list(request: Request) -> Response:
    return await render(request, "mall/h5/addresses.html", rows=await addresses.list_for(actor(request).id),
                        share_title=_("Addresses"))


@get("/h5/mall/addresses/new", guards=H5)
async def address_new(request: Request) -> Response:
    return await _form_page(request, addresses.form(), None)


@get("/h5/mall/addresses/{address_id:int}/edit", guards=H5)
async def address_edit(request: Request, address_id: int) -> Response:
    row = await _own(request, address_id)
    data = {**row, "province": regions.province_of(row["region_code"]), "is_default": row["is_default"]}
    if data["province"] == row["region_code"]:
        data["region_code"] = ""
    return await _form_page(request, addresses.form(data), address_id)


@get("/h5/mall/regions", guards=H5)
async def region_options(request: Request) -> Response:
    """The city/district <select> for a province (htmx)."""
    province = request.query_params.get("province") or ""
    return await render(request, "mall/h5/region_select.html", cities=await regions.children(province),
                        selected="", error=None)


async def _save(request: Request, address_id: int | None) -> Response:
    form = addresses.form(await form_data(request))
    if form.data.get("action") == "refresh":  # no-JS region picker: show the cities of the chosen province
        form.data["region_code"] = ""
        return await _form_page(request, form, address_id)
    if form.validate():
        try:
            await addresses.save(actor(request), form.cleaned, address_id)
            return redirect(request, safe_next(request.query_params.get("next"), "/h5/mall/addresses"),
                            _("Address saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        except addresses.NotFound:
            raise NotFoundException() from None
    return await _form_page(request, form, address_id, status=422)


@post("/h5/mall/addresses", guards=H5)
async def address_create(request: Request) -> Response:
    return await _save(request, None)


@post("/h5/mall/addresses/{address_id:int}", guards=H5)
async def address_update(request: Request, address_id: int) -> Response:
    return await _save(request, address_id)


@post("/h5/mall/addresses/{address_id:int}/default", guards=H5)
async def address_default(request: Request, address_id: int) -> Response:
    await _own(request, address_id)
    await addresses.make_default(actor(request), address_id)
    return redirect(request, "/h5/mall/addresses", _("Default address changed."))


@get("/h5/mall/addresses/{address_id:int}/delete", guards=H5)
async def address_delete_confirm(request: Request, address_id: int) -> Response:
    row = await _own(request, address_id)
    return await h5_confirm(request, _("Delete address"),
                            _("Delete the address %(detail)s?", detail=f"{row['region_name']} {row['detail']}"),
                            f"/h5/mall/addresses/{address_id}/delete", "/h5/mall/addresses")


@post("/h5/mall/addresses/{address_id:int}/delete", guards=H5)
async def address_delete(request: Request, address_id: int) -> Response:
    await _own(request, address_id)
    await addresses.delete(actor(request), address_id)
    return redirect(request, "/h5/mall/addresses", _("Address deleted."))


ROUTES = [address_list, address_new, address_edit, region_options, address_create, address_update, address_default,
          address_delete_confirm, address_delete]

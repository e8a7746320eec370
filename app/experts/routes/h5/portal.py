"""The expert's own phone portal (/h5/expert, EXP-02, EXP-03): the record, its change history, and recommending
someone to the pool (a signed, expiring link by email)."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render
from app.experts import experts, profile_changes, recommendations, taxonomy

H5 = [login_required]
TEMPLATE = "experts/h5/portal.html"


def recommend_form(data: dict, errors: dict | None = None) -> Form:
    return Form([Field("name", L("Name"), required=True, max_length=64),
                 Field("phone", L("Mobile number"), "phone", required=True, max_length=20),
                 Field("email", L("Email"), "email", required=True, max_length=254)], data=data, errors=errors or {})


async def _page(request: Request, form: Form, status: int = 200) -> Response:
    expert = await experts.for_user(request.user.id)
    return await render(request, TEMPLATE, expert=expert, form=form, status=status, labels=experts.FIELD_LABELS,
                        history=await experts.history(expert["id"]) if expert else [],
                        recommended=await recommendations.by_expert(expert["id"]) if expert else [],
                        share_title=_("My expert profile"))


@get("/h5/expert", guards=H5)
async def portal(request: Request) -> Response:
    return await _page(request, recommend_form({}))


@post("/h5/expert/recommend", guards=H5)
async def recommend(request: Request) -> Response:
    data = await form_data(request)
    form = recommend_form(data)
    expert = await experts.for_user(request.user.id)
    if expert is None or expert["status"] != "formal":
        return redirect(request, "/h5/expert", _("Only formal experts can recommend."), "error")
    if not form.validate():
        return await _page(request, form, 422)
    try:
        await recommendations.create(actor(request), expert, form.cleaned)
    except Invalid as exc:
        form.add_error(exc.field, exc.message)
        return await _page(request, form, 422)
    return redirect(request, "/h5/expert", _("Recommendation sent to %(email)s.", email=form.cleaned["email"]))


async def profile_fields() -> list[Field]:
    return [Field("email", L("Email"), "email", max_length=254),
            Field("employer", L("Employer"), max_length=200),
            Field("title", L("Professional title"), max_length=64),
            Field("specialty", L("Specialty"), max_length=200),
            Field("industry", L("Industry"), max_length=64),
            Field("region", L("Region"), max_length=64),
            Field("postcode", L("Postcode"), max_length=16),
            Field("fields", L("Fields of expertise"), "multiselect", choices=await taxonomy.choices())]


async def _edit_page(request: Request, expert: dict, data: dict, errors: dict | None = None,
                     status: int = 200) -> Response:
    form = Form(await profile_fields(), data=data, errors=errors or {})
    return await render(request, "experts/h5/edit.html", form=form, gated=await profile_changes.gated(),
                        status=status, share_title=_("Edit my profile"), expert=expert)


async def _own(request: Request) -> dict | Response:
    expert = await experts.for_user(request.user.id)
    if expert is None:
        return redirect(request, "/h5/expert")
    return expert


@get("/h5/expert/edit", guards=H5)
async def edit(request: Request) -> Response:
    expert = await _own(request)
    if isinstance(expert, Response):
        return expert
    return await _edit_page(request, expert, {**expert, "fields": [str(f) for f in expert["fields"]]})


@post("/h5/expert/edit", guards=H5)
async def edit_save(request: Request) -> Response:
    expert = await _own(request)
    if isinstance(expert, Response):
        return expert
    data = await form_data(request)
    data["fields"] = data.get("fields") if isinstance(data.get("fields"), list) else (
        [data["fields"]] if data.get("fields") else [])
    form = Form(await profile_fields(), data=data)
    if not form.validate():
        return await _edit_page(request, expert, data, form.errors, 422)
    try:
        _applied, waiting = await profile_changes.submit(actor(request), expert["id"], form.cleaned)
    except Invalid as exc:
        return await _edit_page(request, expert, data, {exc.field or "__all__": exc.message}, 422)
    except Conflict as exc:
        return await _edit_page(request, expert, data, {"__all__": str(exc)}, 422)
    message = _("Saved. Some changes wait for an administrator's approval.") if waiting else _("Saved.")
    return redirect(request, "/h5/expert", message)


ROUTES = [portal, recommend, edit, edit_save]

"""The class address book on the phone (CLS-03) and the member's own profile: contacts appear once the
viewer's profile is complete (app/classes/profiles.py says what "complete" means)."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.classes import profiles, roster
from app.classes.routes.h5 import H5, share, space_or_403
from app.core import dictionary
from app.core.forms import Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.web import actor, form_data, redirect, render, safe_next


@get("/h5/classes/{class_id:int}/roster", guards=H5)
async def address_book(request: Request, class_id: int) -> Response:
    klass = await space_or_403(request, class_id)
    book = await roster.address_book(actor(request), klass)
    return await render(request, "classes/h5/roster.html", klass=klass, **book, parts=profiles.PARTS,
                        **share(klass))


async def profile_form(data: dict) -> Form:
    form = Form([
        Field("name", L("Name"), required=True, max_length=64),
        Field("phone", L("Phone"), "phone", required=True),
        Field("email", L("Email"), "email", required=True, max_length=254),
        Field("employer", L("Employer"), max_length=200),
        Field("industry", L("Industry"), "select", dict_type="industry"),
    ], data)
    await dictionary.resolve_choices(form)
    return form


async def _profile_page(request: Request, form: Form, status_code: int = 200) -> Response:
    state = await profiles.status(actor(request).id)
    return await render(request, "classes/h5/profile.html", form=form, state=state, parts=profiles.PARTS,
                        next=safe_next(request.query_params.get("next"), "/h5/classes"), status=status_code,
                        share_title=_("Complete my profile"))


@get("/h5/classes/profile", guards=H5)
async def profile(request: Request) -> Response:
    state = await profiles.status(actor(request).id)
    return await _profile_page(request, await profile_form(dict(state["values"])))


@post("/h5/classes/profile", guards=H5)
async def profile_save(request: Request) -> Response:
    data = await form_data(request)
    form = await profile_form(data)
    back = safe_next(request.query_params.get("next") or data.get("next"), "/h5/classes")
    if form.validate():
        try:
            result = await profiles.complete(actor(request), {k: v or "" for k, v in form.cleaned.items()})
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            message = (_("Saved. Your employer and industry wait for the alumni office's review.") if result["review"]
                       else _("Your profile is saved."))
            return redirect(request, back, message)
    return await _profile_page(request, form, status_code=422)


ROUTES = [address_book, profile, profile_save]

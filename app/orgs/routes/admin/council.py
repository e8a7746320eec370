"""An org's council on the desktop (ORG-03): the term shown (current by default) with its positions and holders,
forms to add a position, a term and a holder, and deletes behind a confirm page."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Field, Form, Invalid
from app.core.i18n import gettext as _
from app.core.i18n import lazy as L
from app.core.web import actor, confirm_page, form_data, int_param, redirect, render
from app.orgs import council, members
from app.orgs.routes.admin import BASE, GUARD, managed_org, org_ctx

POSITION_FIELDS = [Field("name", L("Position"), required=True, max_length=40, placeholder=L("e.g. 会长")),
                   Field("sort", L("Sort order"), "int")]
TERM_FIELDS = [Field("number", L("Term number"), "int", required=True, min_value=1, max_value=999),
               Field("name", L("Term name"), max_length=100, placeholder=L("e.g. 第三届理事会")),
               Field("starts_on", L("Starts on"), "date"), Field("ends_on", L("Ends on"), "date"),
               Field("current", L("Current term"), "checkbox")]


def seat_fields(positions: list[dict], member_choices: list[tuple[str, str]]) -> list[Field]:
    return [Field("position", L("Position"), "select", required=True,
                  choices=[(str(p["id"]), p["name"]) for p in positions]),
            Field("user", L("Member"), "select", choices=member_choices),
            Field("name", L("Or the name of someone without an account"), max_length=64),
            Field("note", L("Note"), max_length=200)]


def _url(org_id: int, term_id: int | None = None) -> str:
    return f"{BASE}/{org_id}/council" + (f"?term={term_id}" if term_id else "")


async def _page(request: Request, org: dict, *, forms: dict | None = None, status: int = 200) -> Response:
    term_id = int_param(request.query_params.get("term"))
    data = await council.council(org["id"], term_id)
    forms = forms or {}
    seat_form = forms.get("seat") or Form(seat_fields(await council.positions(org["id"]),
                                                      await members.member_choices(org["id"])))
    return await render(request, "orgs/admin/council.html", council=data, status=status,
                        position_form=forms.get("position") or Form(POSITION_FIELDS),
                        term_form=forms.get("term") or Form(TERM_FIELDS, data={
                            "number": str(max([t["number"] for t in data["terms"]], default=0) + 1),
                            "current": "on"}),
                        seat_form=seat_form, **org_ctx(org, request, "council"))


@get(f"{BASE}/{{org_id:int}}/council", guards=GUARD)
async def council_page(request: Request, org_id: int) -> Response:
    return await _page(request, await managed_org(request, org_id))


@post(f"{BASE}/{{org_id:int}}/council/positions", guards=GUARD)
async def position_add(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    form = Form(POSITION_FIELDS, data=await form_data(request))
    if form.validate():
        try:
            await council.save_position(actor(request), org_id, form.cleaned["name"], form.cleaned["sort"])
            return redirect(request, _url(org_id), _("Position added."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _page(request, org, forms={"position": form}, status=422)


@post(f"{BASE}/{{org_id:int}}/council/positions/defaults", guards=GUARD)
async def position_defaults(request: Request, org_id: int) -> Response:
    await managed_org(request, org_id)
    await council.ensure_default_positions(actor(request), org_id)
    return redirect(request, _url(org_id), _("The usual positions are added."))


@get(f"{BASE}/{{org_id:int}}/council/positions/{{position_id:int}}/delete", guards=GUARD)
async def position_delete_confirm(request: Request, org_id: int, position_id: int) -> Response:
    await managed_org(request, org_id)
    position = next((p for p in await council.positions(org_id) if p["id"] == position_id), None)
    if position is None:
        raise NotFoundException()
    return await confirm_page(request, _("Delete position"), _("Delete the position “%(name)s”?",
                                                               name=position["name"]),
                              f"{BASE}/{org_id}/council/positions/{position_id}/delete", _url(org_id))


@post(f"{BASE}/{{org_id:int}}/council/positions/{{position_id:int}}/delete", guards=GUARD)
async def position_delete(request: Request, org_id: int, position_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        await council.delete_position(actor(request), org_id, position_id)
    except council.NotFound:
        raise NotFoundException() from None
    except Conflict as exc:
        return redirect(request, _url(org_id), str(exc), "error")
    return redirect(request, _url(org_id), _("Position deleted."))


@post(f"{BASE}/{{org_id:int}}/council/terms", guards=GUARD)
async def term_add(request: Request, org_id: int) -> Response:
    org = await managed_org(request, org_id)
    form = Form(TERM_FIELDS, data=await form_data(request))
    if form.validate():
        try:
            term_id = await council.save_term(actor(request), org_id, **form.cleaned)
            return redirect(request, _url(org_id, term_id), _("Term saved."))
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _page(request, org, forms={"term": form}, status=422)


@get(f"{BASE}/{{org_id:int}}/council/terms/{{term_id:int}}/delete", guards=GUARD)
async def term_delete_confirm(request: Request, org_id: int, term_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        term = await council.get_term(org_id, term_id)
    except council.NotFound:
        raise NotFoundException() from None
    return await confirm_page(request, _("Delete term"),
                              _("Delete term %(n)s with everyone who held a position in it?", n=term["number"]),
                              f"{BASE}/{org_id}/council/terms/{term_id}/delete", _url(org_id, term_id))


@post(f"{BASE}/{{org_id:int}}/council/terms/{{term_id:int}}/delete", guards=GUARD)
async def term_delete(request: Request, org_id: int, term_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        await council.delete_term(actor(request), org_id, term_id)
    except council.NotFound:
        raise NotFoundException() from None
    return redirect(request, _url(org_id), _("Term deleted."))


@post(f"{BASE}/{{org_id:int}}/council/terms/{{term_id:int}}/seats", guards=GUARD)
async def seat_add(request: Request, org_id: int, term_id: int) -> Response:
    org = await managed_org(request, org_id)
    form = Form(seat_fields(await council.positions(org_id), await members.member_choices(org_id)),
                data=await form_data(request))
    if form.validate():
        v = form.cleaned
        try:
            await council.add_seat(actor(request), org_id, term_id, int(v["position"]),
                                   int(v["user"]) if v["user"] else None, v["name"] or "", v["note"] or "")
            return redirect(request, _url(org_id, term_id), _("Council member added."))
        except council.NotFound:
            raise NotFoundException() from None
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
    return await _page(request, org, forms={"seat": form}, status=422)


@get(f"{BASE}/{{org_id:int}}/council/seats/{{seat_id:int}}/delete", guards=GUARD)
async def seat_delete_confirm(request: Request, org_id: int, seat_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        seat = await council.get_seat(org_id, seat_id)
    except council.NotFound:
        raise NotFoundException() from None
    return await confirm_page(request, _("Remove from the council"),
                              _("Remove %(name)s (%(position)s) from this term?", name=seat["name"],
                                position=seat["position_name"]),
                              f"{BASE}/{org_id}/council/seats/{seat_id}/delete", _url(org_id, seat["term"]))


@post(f"{BASE}/{{org_id:int}}/council/seats/{{seat_id:int}}/delete", guards=GUARD)
async def seat_delete(request: Request, org_id: int, seat_id: int) -> Response:
    await managed_org(request, org_id)
    try:
        seat = await council.get_seat(org_id, seat_id)
        await council.delete_seat(actor(request), org_id, seat_id)
    except council.NotFound:
        raise NotFoundException() from None
    return redirect(request, _url(org_id, seat["term"]), _("Removed from the council."))


ROUTES = [council_page, position_add, position_defaults, position_delete_confirm, position_delete, term_add,
          term_delete_confirm, term_delete, seat_add, seat_delete_confirm, seat_delete]

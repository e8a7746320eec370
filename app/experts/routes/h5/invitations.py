"""The expert's invitations on the phone (EXP-04, EXP-05): the list (unanswered first), the detail with the
project files (previewed inline or downloaded, only one's own), accept / decline with a reason, and leaving an
accepted project after a confirmation step. The signed link in the messages opens the detail after login."""
from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.permissions import login_required
from app.core.web import actor, form_data, h5_confirm_page, redirect, render
from app.experts import experts, fees, invitations

H5 = [login_required]
BASE = "/h5/expert/invitations"


async def my_expert(request: Request) -> dict | None:
    """The signed-in user's expert record (not deleted): the guard of every own-invitation page."""
    return await experts.for_user(request.user.id)


async def own_invitation(request: Request, invitation_id: int) -> tuple[dict, dict]:
    expert = await my_expert(request)
    if expert is None:
        raise NotFoundException()
    try:
        return expert, await invitations.get(invitation_id, expert_id=expert["id"])
    except invitations.NotFound:
        raise NotFoundException() from None


def file_response(item: dict, data: bytes, content_type: str, inline: bool, download: bool) -> Response:
    from urllib.parse import quote

    disposition = "inline" if inline and not download else "attachment"
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(item['name'])}",
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@get(BASE, guards=H5)
async def invitation_list(request: Request) -> Response:
    expert = await my_expert(request)
    if expert is None:
        return redirect(request, "/h5/expert")
    page = await invitations.of_expert(expert["id"], PageRequest.from_query(request.query_params))
    return await render(request, "experts/h5/invitations.html", expert=expert, page=page,
                        share_title=_("My invitations"))


@get(f"{BASE}/open/{{token:str}}", guards=H5)
async def open_link(request: Request, token: str) -> Response:
    invitation_id = invitations.id_from_link(token)
    if invitation_id is None:
        return redirect(request, BASE, _("This link is no longer valid."), "error")
    return redirect(request, f"{BASE}/{invitation_id}")


async def _detail(request: Request, expert: dict, row: dict, errors: dict | None = None, data: dict | None = None,
                  status: int = 200) -> Response:
    return await render(request, "experts/h5/invitation.html", expert=expert, inv=row, errors=errors or {},
                        data=data or {}, can_leave=await invitations.can_leave(row),
                        leave_deadline=await invitations.leave_deadline(row),
                        fee=await fees.for_invitation(row["id"]), status=status, share_title=row["project_title"])


@get(f"{BASE}/{{invitation_id:int}}", guards=H5)
async def invitation_detail(request: Request, invitation_id: int) -> Response:
    expert, row = await own_invitation(request, invitation_id)
    return await _detail(request, expert, row)


async def _answer(request: Request, invitation_id: int, answer: str) -> Response:
    expert, row = await own_invitation(request, invitation_id)
    data = await form_data(request)
    try:
        await invitations.respond(actor(request), invitation_id, answer, str(data.get("reason") or ""),
                                  expert_id=expert["id"])
    except Invalid as exc:
        return await _detail(request, expert, row, {exc.field: exc.message}, data, 422)
    except Conflict as exc:
        return await _detail(request, expert, await invitations.get(invitation_id), {"__all__": str(exc)}, data, 409)
    message = _("You accepted the invitation.") if answer == "accept" else _("You declined the invitation.")
    return redirect(request, f"{BASE}/{invitation_id}", message)


@post(f"{BASE}/{{invitation_id:int}}/accept", guards=H5)
async def invitation_accept(request: Request, invitation_id: int) -> Response:
    return await _answer(request, invitation_id, "accept")


@post(f"{BASE}/{{invitation_id:int}}/decline", guards=H5)
async def invitation_decline(request: Request, invitation_id: int) -> Response:
    return await _answer(request, invitation_id, "decline")


async def _leave_page(request: Request, row: dict, value: str = "", error: str = "", status: int = 200) -> Response:
    return await h5_confirm_page(
        request, _("Leave this project"),
        _("You will no longer take part in %(project)s (opens %(when)s).", project=row["project_title"],
          when=invitations.local_time(row["opens_at"])),
        f"{BASE}/{row['id']}/leave", f"{BASE}/{row['id']}", field="reason", field_label=_("Reason"), required=True,
        value=value, error=error, status=status)


@get(f"{BASE}/{{invitation_id:int}}/leave", guards=H5)
async def leave_confirm(request: Request, invitation_id: int) -> Response:
    _expert, row = await own_invitation(request, invitation_id)
    return await _leave_page(request, row)


@post(f"{BASE}/{{invitation_id:int}}/leave", guards=H5)
async def leave_save(request: Request, invitation_id: int) -> Response:
    expert, row = await own_invitation(request, invitation_id)
    reason = str((await form_data(request)).get("reason") or "")
    try:
        await invitations.leave(actor(request), invitation_id, reason, expert_id=expert["id"])
    except Invalid as exc:
        return await _leave_page(request, row, reason, exc.message, 422)
    except Conflict as exc:
        return await _leave_page(request, row, reason, str(exc), 409)
    return redirect(request, f"{BASE}/{invitation_id}", _("You left the project."))


@get(f"{BASE}/{{invitation_id:int}}/files/{{index:int}}", guards=H5)
async def invitation_file(request: Request, invitation_id: int, index: int) -> Response:
    _expert, row = await own_invitation(request, invitation_id)
    try:
        item, data, content_type, inline = invitations.file_of(row, index)
    except invitations.NotFound:
        raise NotFoundException() from None
    return file_response(item, data, content_type, inline, request.query_params.get("download") == "1")


ROUTES = [invitation_list, open_link, invitation_detail, invitation_accept, invitation_decline, leave_confirm,
          leave_save, invitation_file]

"""Contacts on the phone (IM-08): the org-tree directory with online counts and a name search, a person's card
(send a friend request), incoming requests with the requester's card, friends with remarks, removing a friend
behind a confirm step, and the personal security code as a QR code (/h5/im/add/{code} opens the card).
Every rule is in app/im/contacts.py; a request or person that is not the user's answers 404."""
from __future__ import annotations

from contextlib import contextmanager

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException

from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.pagination import PageRequest
from app.core.urls import absolute
from app.core.web import actor, form_data, h5_confirm_page, redirect, render
from app.im import contacts
from app.im.routes.h5 import H5


@contextmanager
def found_or_404():
    try:
        yield
    except contacts.NotFound:
        raise NotFoundException() from None


def _error(exc: Exception) -> str:
    return exc.message if isinstance(exc, Invalid) else str(exc)


# --- directory ---------------------------------------------------------------------------------------------

@get("/h5/im/contacts", guards=H5)
async def directory(request: Request) -> Response:
    query = (request.query_params.get("q") or "").strip()[:64]
    found = await contacts.people(PageRequest.from_query(request.query_params), query=query) if query else None
    return await render(request, "im/h5/contacts.html", tree=await contacts.directory(), q=query, found=found,
                        pending=await contacts.pending_count(request.user.id), share_title=_("Contacts"))


@get("/h5/im/contacts/org/{node_id:int}", guards=H5)
async def org_people(request: Request, node_id: int) -> Response:
    with found_or_404():
        node = await contacts.node(node_id)
        page = await contacts.people(PageRequest.from_query(request.query_params), node_id=node_id)
    return await render(request, "im/h5/contacts_people.html", node=node, page=page, share_title=node["name"])


# --- people and friend requests ---------------------------------------------------------------------------

async def _profile_page(request: Request, user_id: int, *, error: str | None = None, message: str = "",
                        status: int = 200) -> Response:
    with found_or_404():
        person = await contacts.profile(request.user.id, user_id)
    return await render(request, "im/h5/friend_profile.html", person=person, error=error, message=message,
                        status=status, share_title=person["name"], message_max=contacts.MESSAGE_MAX)


@get("/h5/im/people/{user_id:int}", guards=H5)
async def person(request: Request, user_id: int) -> Response:
    return await _profile_page(request, user_id)


@post("/h5/im/people/{user_id:int}/request", guards=H5)
async def send_request(request: Request, user_id: int) -> Response:
    message = str((await form_data(request)).get("message") or "")
    try:
        with found_or_404():
            await contacts.send_request(actor(request), user_id, message)
    except (Invalid, Conflict) as exc:
        return await _profile_page(request, user_id, error=_error(exc), message=message,
                                   status=429 if isinstance(exc, contacts.RateLimited) else 422)
    return redirect(request, f"/h5/im/people/{user_id}", _("Friend request sent."))


@get("/h5/im/add/{token:str}", guards=H5)
async def add_by_code(request: Request, token: str) -> Response:
    """What a scanned security code opens: the owner's card with "send friend request"."""
    try:
        owner = await contacts.code_owner(token)
    except contacts.NotFound:
        return await render(request, "im/h5/friend_code_invalid.html", status=404,
                            share_title=_("This code is not valid"))
    return await _profile_page(request, owner)


@get("/h5/im/friends/requests", guards=H5)
async def requests(request: Request) -> Response:
    page = await contacts.incoming(request.user.id, PageRequest.from_query(request.query_params))
    return await render(request, "im/h5/friend_requests.html", page=page, share_title=_("Friend requests"))


@get("/h5/im/friends/requests/{request_id:int}", guards=H5)
async def request_detail(request: Request, request_id: int) -> Response:
    """One request: the requester's card, their message, accept / decline."""
    with found_or_404():
        row = await contacts.received(actor(request), request_id)
        person = await contacts.profile(request.user.id, row["sender"])
    return await render(request, "im/h5/friend_request.html", req=row, person=person,
                        share_title=_("Friend request"))


async def _answer(request: Request, request_id: int, accept: bool) -> Response:
    try:
        with found_or_404():
            row = await contacts.answer(actor(request), request_id, accept)
    except Conflict as exc:
        return redirect(request, "/h5/im/friends/requests", str(exc), "error")
    if accept:
        return redirect(request, f"/h5/im/people/{row['sender']}", _("You are friends now."))
    return redirect(request, "/h5/im/friends/requests", _("Request declined."))


@post("/h5/im/friends/requests/{request_id:int}/accept", guards=H5)
async def accept(request: Request, request_id: int) -> Response:
    return await _answer(request, request_id, True)


@post("/h5/im/friends/requests/{request_id:int}/decline", guards=H5)
async def decline(request: Request, request_id: int) -> Response:
    return await _answer(request, request_id, False)


# --- friends -------------------------------------------------------------------------------------------------

async def _friends_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    page = await contacts.friends(request.user.id, PageRequest.from_query(request.query_params))
    return await render(request, "im/h5/friends.html", page=page, error=error, status=status,
                        pending=await contacts.pending_count(request.user.id), remark_max=contacts.REMARK_MAX,
                        share_title=_("Friends"))


@get("/h5/im/friends", guards=H5)
async def friends(request: Request) -> Response:
    return await _friends_page(request)


@post("/h5/im/friends/{friend_id:int}/remark", guards=H5)
async def remark(request: Request, friend_id: int) -> Response:
    text = str((await form_data(request)).get("remark") or "")
    try:
        with found_or_404():
            await contacts.set_remark(actor(request), friend_id, text)
    except Invalid as exc:
        return await _friends_page(request, error=exc.message, status=422)
    return redirect(request, f"/h5/im/friends#friend-{friend_id}", _("Saved."))


@get("/h5/im/friends/{friend_id:int}/remove", guards=H5)
async def remove_confirm(request: Request, friend_id: int) -> Response:
    with found_or_404():
        row = await contacts.friend(actor(request), friend_id)
    return await h5_confirm_page(request, _("Remove this friend?"),
                                 _("“%(name)s” will no longer be in your friends list, nor you in theirs. Your chat"
                                   " stays.", name=row["remark"] or row["name"]),
                                 f"/h5/im/friends/{friend_id}/remove", "/h5/im/friends")


@post("/h5/im/friends/{friend_id:int}/remove", guards=H5)
async def remove(request: Request, friend_id: int) -> Response:
    with found_or_404():
        await contacts.remove(actor(request), friend_id)
    return redirect(request, "/h5/im/friends", _("Friend removed."))


# --- security code ---------------------------------------------------------------------------------------------

@get("/h5/im/my-code", guards=H5)
async def my_code(request: Request) -> Response:
    token = await contacts.code(request.user.id)
    return await render(request, "im/h5/friend_code.html", link=absolute(f"/h5/im/add/{token}"),
                        share_title=_("My security code"))


@post("/h5/im/my-code/reset", guards=H5)
async def reset_code(request: Request) -> Response:
    await contacts.reset_code(actor(request))
    return redirect(request, "/h5/im/my-code", _("New code made: the old QR code no longer works."))


ROUTES = [directory, org_people, person, send_request, add_by_code, requests, request_detail, accept, decline,
          friends, remark, remove_confirm, remove, my_code, reset_code]

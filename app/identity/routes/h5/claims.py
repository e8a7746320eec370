"""The alumni's own identity claim on the phone (IDV-02): the status page, the claim form, the questions, face
or manual review, evidence and withdrawing. Plain links and forms; every step works without JavaScript."""
from __future__ import annotations

from litestar import Request, Response, get, post

from app.core import web
from app.core.forms import Conflict, Invalid
from app.core.i18n import gettext as _
from app.core.permissions import login_required
from app.core.web import actor, form_data, redirect, render
from app.identity import claims

GUARD = [login_required]
STATUS = "/h5/identity"
DONE = {"verified": lambda: _("Your identity is verified."),
        "pending": lambda: _("Your claim was sent to the college for review. You will get a message when it is"
                             " decided.")}


def _ctx(request: Request, title: str) -> dict:
    return {"share_title": title}  # (in_wechat comes with every page's shell context)


async def _status_page(request: Request, status: int = 200, errors: dict | None = None,
                       note: str = "") -> Response:
    data = await claims.status_for(request.scope["user"].id)
    return await render(request, "identity/h5/claim_status.html", **data, statuses=claims.STATUSES,
                        kinds=claims.KINDS, methods=claims.METHODS, max_attempts=claims.MAX_ATTEMPTS,
                        max_evidence=claims.MAX_EVIDENCE, errors=errors or {}, note=note, status=status,
                        **_ctx(request, _("My identity")))


@get(STATUS, guards=GUARD)
async def status_page(request: Request) -> Response:
    return await _status_page(request)


async def _form_page(request: Request, form, status: int = 200) -> Response:
    return await render(request, "identity/h5/claim_form.html", form=form, status=status,
                        **_ctx(request, _("Verify my identity")))


@get(f"{STATUS}/claim", guards=GUARD)
async def claim_page(request: Request) -> Response:
    if reason := await claims.why_not_claim(request.scope["user"].id):
        return redirect(request, STATUS, reason, "error")
    return await _form_page(request, await claims.claim_form({"kind": "alumnus", "name": request.scope["user"].name}))


@post(f"{STATUS}/claim", guards=GUARD)
async def claim_submit(request: Request) -> Response:
    form = await claims.claim_form(await form_data(request))
    if form.validate():
        try:
            claim = await claims.start(actor(request), form.cleaned)
        except Invalid as exc:
            form.add_error(exc.field, exc.message)
        else:
            if claim["status"] == "questions":
                return redirect(request, f"{STATUS}/questions")
            message = DONE.get(claim["status"])
            return redirect(request, STATUS, message() if message else None)
    return await _form_page(request, form, status=422)


@get(f"{STATUS}/questions", guards=GUARD)
async def questions_page(request: Request) -> Response:
    try:
        claim, items = await claims.own_questions(request.scope["user"].id)
    except claims.NotFound:
        return redirect(request, STATUS)
    return await render(request, "identity/h5/claim_questions.html", claim=claim, items=items,
                        attempt=claim["question_attempts"] + 1, max_attempts=claims.MAX_ATTEMPTS,
                        **_ctx(request, _("A few questions")))


@post(f"{STATUS}/questions", guards=GUARD)
async def questions_submit(request: Request) -> Response:
    try:
        outcome = await claims.answer(actor(request), await form_data(request))
    except claims.NotFound:
        return redirect(request, STATUS)
    except Invalid as exc:
        return redirect(request, f"{STATUS}/questions" if exc.field == "answers" else STATUS,
                        exc.message, "error")
    if outcome == "verified":
        return redirect(request, STATUS, _("Your identity is verified."))
    if outcome == "retry":
        return redirect(request, f"{STATUS}/questions",
                        _("Some answers did not match your record. Here is a new set of questions."), "error")
    return redirect(request, STATUS, _("The answers did not match your record. You can verify by face or ask for"
                                       " a manual review."), "error")


@post(f"{STATUS}/claim/face", guards=GUARD)
async def claim_face(request: Request) -> Response:
    try:
        await claims.try_face(actor(request))
    except claims.NotFound:
        return redirect(request, STATUS)
    except claims.NeedsRealname:
        return redirect(request, f"{STATUS}/realname?next={STATUS}",
                        _("First pass the real-name check (ID number and face photo), then come back."), "error")
    except Invalid as exc:
        return redirect(request, STATUS, exc.message, "error")
    return redirect(request, STATUS, _("Your identity is verified."))


@post(f"{STATUS}/claim/review", guards=GUARD)
async def claim_review(request: Request) -> Response:
    try:
        await claims.request_review(actor(request))
    except claims.NotFound:
        return redirect(request, STATUS)
    return redirect(request, STATUS, DONE["pending"]())


@post(f"{STATUS}/claim/evidence", guards=GUARD)
async def claim_evidence(request: Request) -> Response:
    data = await form_data(request)
    upload = data.get("file")
    filename = getattr(upload, "filename", "") or ""
    try:
        await claims.add_evidence(actor(request), filename, await upload.read() if filename else b"",
                                  data.get("note") if isinstance(data.get("note"), str) else "")
    except claims.NotFound:
        return redirect(request, STATUS)
    except Invalid as exc:
        note = data.get("note") if isinstance(data.get("note"), str) else ""
        return await _status_page(request, status=422, errors={exc.field or "file": exc.message}, note=note)
    return redirect(request, STATUS, _("Added to your claim."))


@get(f"{STATUS}/claim/evidence/{{index:int}}", guards=GUARD)
async def claim_evidence_file(request: Request, index: int) -> Response:
    try:
        content, content_type, _name = await claims.own_evidence(request.scope["user"].id, index)
    except claims.NotFound:
        return Response("", status_code=404)
    return Response(content, media_type=content_type, headers={"Cache-Control": "private, no-store",
                                                               "Content-Disposition": "inline"})


@get(f"{STATUS}/claim/withdraw", guards=GUARD)
async def withdraw_confirm(request: Request) -> Response:
    return await web.h5_confirm_page(request, _("Withdraw the claim"),
                                     _("Withdraw your identity claim? You can start a new one afterwards."),
                                     f"{STATUS}/claim/withdraw", STATUS)


@post(f"{STATUS}/claim/withdraw", guards=GUARD)
async def withdraw(request: Request) -> Response:
    try:
        await claims.withdraw(actor(request))
    except Conflict as exc:
        return redirect(request, STATUS, str(exc), "error")
    return redirect(request, STATUS, _("Your claim was withdrawn."))


ROUTES = [status_page, claim_page, claim_submit, questions_page, questions_submit, claim_face, claim_review,
          claim_evidence, claim_evidence_file, withdraw_confirm, withdraw]

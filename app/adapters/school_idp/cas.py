"""Apereo CAS protocol 2.0 and 3.0 under /cas: login (with SSO cookie, renew, gateway), serviceValidate
(2.0: the user only), p3/serviceValidate (3.0: plus attributes; format=JSON too), logout.
Service tickets are single use, bound to the exact service URL, and live TC_IDP_TICKET_SECONDS (300 s)."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

from litestar import Request, Response, get, post
from litestar.response import Redirect

from app.adapters.school_idp import pages
from app.adapters.school_idp.simulator import sim
from app.adapters.school_idp.state import Person
from app.core.i18n import gettext as _

CAS_NS = "http://www.yale.edu/tp/cas"


def with_params(url: str, **params: str) -> str:
    """`url` with query parameters added (before any #fragment)."""
    base, hash_, fragment = url.partition("#")
    return base + ("&" if "?" in base else "?") + urlencode(params) + hash_ + fragment


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in {"true", "1", "yes"}


def _bad_service(service: str) -> Response:
    return pages.page(_("Application not authorized to use this login"), pages.paragraphs(
        _("The service URL is not registered with this identity provider:"), service), status=403)


def _issue(request: Request, person: Person, service: str, new_login: bool, auth_time: int) -> Redirect:
    ticket = sim(request).cas_tickets.issue(
        {"username": person.username, "service": service, "new_login": new_login, "auth_time": auth_time},
        sim(request).config.ticket_seconds)
    return Redirect(with_params(service, ticket=ticket), status_code=302)


def _form(service: str, renew: bool, username: str = "", error: str | None = None, status: int = 200) -> Response:
    note = _("Development IdP: the demo accounts use the password idp-pass.")
    body = pages.login_form("/cas/login", {"service": service or None, "renew": "true" if renew else None},
                            username, error, note)
    return pages.page(_("Central login"), body, status=status)


def _signed_in_page(person: Person) -> Response:
    return pages.page(_("Central login"), pages.paragraphs(
        _("You are logged in at the school identity provider as %(name)s (%(username)s).",
          name=person.name, username=person.username)) + pages.link_list([("/cas/logout", _("Log out"))]))


@get("/cas/login", sync_to_thread=False)
def cas_login(request: Request) -> Response:
    q = request.query_params
    service, renew, gateway = q.get("service", ""), _truthy(q.get("renew")), _truthy(q.get("gateway"))
    if service and not sim(request).config.allowed_redirect(service):
        return _bad_service(service)
    current = sim(request).signed_in(request)
    if current and not renew:
        person, session = current
        return _issue(request, person, service, False, session["auth_time"]) if service else _signed_in_page(person)
    if gateway and service and not renew:
        return Redirect(service, status_code=302)
    return _form(service, renew)


@post("/cas/login")
async def cas_login_post(request: Request) -> Response:
    form = await request.form()
    service, renew = form.get("service", ""), _truthy(form.get("renew"))
    if service and not sim(request).config.allowed_redirect(service):
        return _bad_service(service)
    username = (form.get("username") or "").strip()
    person = sim(request).directory.check(username, form.get("password") or "")
    if person is None:
        return _form(service, renew, username, _("Wrong username or password."), status=401)
    response = _issue(request, person, service, True, int(time.time())) if service else _signed_in_page(person)
    sim(request).sign_in(response, person)
    return response


@get("/cas/logout", sync_to_thread=False)
def cas_logout(request: Request) -> Response:
    service = request.query_params.get("service", "")
    if service and sim(request).config.allowed_redirect(service):
        response: Response = Redirect(service, status_code=302)
    else:
        response = pages.page(_("Logged out"), pages.paragraphs(
            _("You have logged out of the school identity provider."),
            _("Close the browser to end every session.")))
    sim(request).sign_out(request, response)
    return response


# --- validation ---

def _validate(request: Request) -> tuple[Person | None, dict | None, tuple[str, str] | None]:
    """(person, ticket, None) or (None, None, (code, message)) as the CAS protocol names failures."""
    q = request.query_params
    service, ticket = q.get("service", ""), q.get("ticket", "")
    if not service or not ticket:
        return None, None, ("INVALID_REQUEST", "'service' and 'ticket' parameters are both required")
    if not ticket.startswith("ST-"):
        return None, None, ("INVALID_TICKET", f"Ticket '{ticket}' not recognized")
    status, value = sim(request).cas_tickets.take(ticket)  # any validation attempt uses the ticket up
    if status == "used":
        return None, None, ("INVALID_TICKET", f"Ticket '{ticket}' has already been used")
    if status != "ok" or value is None:
        return None, None, ("INVALID_TICKET", f"Ticket '{ticket}' not recognized" if status == "missing"
                            else f"Ticket '{ticket}' has expired")
    if value["service"] != service:
        return None, None, ("INVALID_SERVICE", f"Ticket '{ticket}' does not match supplied service. "
                            f"The original service was '{value['service']}' and the supplied service was "
                            f"'{service}'.")
    if _truthy(q.get("renew")) and not value["new_login"]:
        return None, None, ("INVALID_TICKET", f"Ticket '{ticket}' was not issued from a new login (renew)")
    person = sim(request).directory.get(value["username"])
    if person is None:
        return None, None, ("INVALID_TICKET", f"Ticket '{ticket}' belongs to an unknown user")
    return person, value, None


def _xml(inner: str) -> Response:
    body = f'<cas:serviceResponse xmlns:cas="{CAS_NS}">\n{inner}\n</cas:serviceResponse>\n'
    return Response(content=body, media_type="application/xml; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _failure_xml(code: str, message: str) -> Response:
    return _xml(f'  <cas:authenticationFailure code="{code}">{xml_escape(message)}</cas:authenticationFailure>')


def attributes(person: Person, ticket: dict) -> dict[str, str]:
    """The CAS 3.0 attributes: the person's profile and how they authenticated."""
    auth_date = datetime.fromtimestamp(ticket["auth_time"], UTC).isoformat().replace("+00:00", "Z")
    return {"authenticationDate": auth_date, "isFromNewLogin": "true" if ticket["new_login"] else "false",
            "longTermAuthenticationRequestTokenUsed": "false", **person.profile()}


@get("/cas/serviceValidate", sync_to_thread=False)
def service_validate(request: Request) -> Response:
    """CAS 2.0: success names the user, without attributes."""
    person, _ticket, failure = _validate(request)
    if failure or person is None:
        return _failure_xml(*(failure or ("INTERNAL_ERROR", "no user")))
    return _xml(f"  <cas:authenticationSuccess>\n    <cas:user>{xml_escape(person.username)}</cas:user>\n"
                "  </cas:authenticationSuccess>")


@get("/cas/p3/serviceValidate", sync_to_thread=False)
def p3_service_validate(request: Request) -> Response:
    """CAS 3.0: the user plus cas:attributes (name, email, number, kind, college); format=JSON supported."""
    person, ticket, failure = _validate(request)
    as_json = request.query_params.get("format", "").upper() == "JSON"
    if failure or person is None or ticket is None:
        code, message = failure or ("INTERNAL_ERROR", "no user")
        if as_json:
            return _json({"serviceResponse": {"authenticationFailure": {"code": code, "description": message}}})
        return _failure_xml(code, message)
    attrs = attributes(person, ticket)
    if as_json:
        return _json({"serviceResponse": {"authenticationSuccess": {
            "user": person.username, "attributes": {k: [v] for k, v in attrs.items()}}}})
    lines = "\n".join(f"      <cas:{k}>{xml_escape(v)}</cas:{k}>" for k, v in attrs.items())
    return _xml(f"  <cas:authenticationSuccess>\n    <cas:user>{xml_escape(person.username)}</cas:user>\n"
                f"    <cas:attributes>\n{lines}\n    </cas:attributes>\n  </cas:authenticationSuccess>")


def _json(data: dict) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False), media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


ROUTES = [cas_login, cas_login_post, cas_logout, service_validate, p3_service_validate]

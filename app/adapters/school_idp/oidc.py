"""OpenID Connect (authorization code + PKCE S256, RFC 6749 / 7636, OIDC Core) under /oidc with discovery at
/.well-known/openid-configuration. The login form shares the IdP session (SSO cookie) with CAS.
Codes are single use and live 60 s; the ID token is an RS256 JWT signed with the persisted key (keys.py).
POST /_sim/faults {"oidc": ...} makes the NEXT token response carry one defect (control.py)."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from urllib.parse import unquote_plus

from joserfc import jwt
from litestar import Request, Response, get, post, route
from litestar.response import Redirect

from app.adapters.school_idp import pages
from app.adapters.school_idp.cas import with_params
from app.adapters.school_idp.simulator import OIDC_FAULTS, Simulator, sim
from app.adapters.school_idp.state import Person
from app.core.i18n import gettext as _

SCOPES = ["openid", "profile", "email", "school"]
CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name", "email", "email_verified",
          "preferred_username", "school_number", "school_kind", "school_college"]
PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
PENDING_SECONDS = 1800
IMPOSTOR_ISSUER = "https://impostor-idp.example.cn"


def discovery_document(base: str) -> dict:
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oidc/authorize",
        "token_endpoint": f"{base}/oidc/token",
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "jwks_uri": f"{base}/oidc/jwks",
        "end_session_endpoint": f"{base}/oidc/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": SCOPES,
        "claims_supported": CLAIMS,
        "authorization_response_iss_parameter_supported": True,
    }


def _json(data: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(content=json.dumps(data, ensure_ascii=False), status_code=status,
                    media_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})})


@get("/.well-known/openid-configuration", sync_to_thread=False)
def discovery(request: Request) -> Response:
    return _json(discovery_document(sim(request).config.base_url), headers={"Cache-Control": "max-age=60"})


@get("/oidc/jwks", sync_to_thread=False)
def jwks(request: Request) -> Response:
    return _json(sim(request).keys.jwks(), headers={"Cache-Control": "max-age=60"})


# --- authorization endpoint ---

def _error_page(message: str) -> Response:
    return pages.page(_("Login request refused"), pages.paragraphs(
        message, _("Go back to the application and start the login again.")), status=400)


def _error_redirect(base: str, redirect_uri: str, error: str, description: str, state: str | None) -> Redirect:
    params = {"error": error, "error_description": description, "iss": base}
    if state:
        params["state"] = state
    return Redirect(with_params(redirect_uri, **params), status_code=302)


def _check_request(simulator: Simulator, params: dict[str, str]) -> Response | None:
    """None when the authorization request is acceptable; else an error page (client or redirect URI not
    trustworthy: never redirect there) or an error redirect per RFC 6749 §4.1.2.1."""
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
    if client_id not in simulator.config.clients:
        return _error_page(_("Unknown application (client_id)."))
    if not redirect_uri or not simulator.config.allowed_redirect(redirect_uri):
        return _error_page(_("The redirect address is missing or not registered for this application."))
    base, state = simulator.config.base_url, params.get("state")

    def refuse(error: str, description: str) -> Redirect:
        return _error_redirect(base, redirect_uri, error, description, state)

    if params.get("response_type") != "code":
        return refuse("unsupported_response_type", "only response_type=code is supported")
    if "openid" not in params.get("scope", "").split():
        return refuse("invalid_scope", "scope must contain openid")
    if not state:
        return refuse("invalid_request", "state is required")
    if params.get("code_challenge_method") != "S256" or not PKCE_CHALLENGE.match(params.get("code_challenge", "")):
        return refuse("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    return None


def _issue_code(simulator: Simulator, params: dict[str, str], person: Person, auth_time: int) -> Redirect:
    code = simulator.oidc_codes.issue({
        "client_id": params["client_id"], "redirect_uri": params["redirect_uri"], "username": person.username,
        "nonce": params.get("nonce"), "code_challenge": params["code_challenge"], "scope": params["scope"],
        "auth_time": auth_time}, simulator.config.oidc_code_seconds)
    return Redirect(with_params(params["redirect_uri"], code=code, state=params["state"],
                                iss=simulator.config.base_url), status_code=302)


def _form(key: str, username: str = "", error: str | None = None, status: int = 200) -> Response:
    body = pages.login_form("/oidc/authorize", {"request": key}, username, error,
                            _("Development IdP: the demo accounts use the password idp-pass."))
    cancel = pages.Markup('<form method="post" action="/oidc/authorize">{}<button type="submit" '
                          'class="secondary">{}</button></form>').format(
        pages.hidden({"request": key, "cancel": "1"}), _("Cancel"))
    return pages.page(_("Central login"), body + cancel, status=status)


@get("/oidc/authorize", sync_to_thread=False)
def authorize(request: Request) -> Response:
    simulator = sim(request)
    params = {k: v for k, v in request.query_params.items()}
    if refused := _check_request(simulator, params):
        return refused
    prompts = params.get("prompt", "").split()
    current = simulator.signed_in(request)
    if current and "login" not in prompts:
        person, session = current
        return _issue_code(simulator, params, person, session["auth_time"])
    if "none" in prompts:
        return _error_redirect(simulator.config.base_url, params["redirect_uri"], "login_required",
                               "the user is not logged in", params.get("state"))
    return _form(simulator.oidc_requests.issue(params, PENDING_SECONDS))


@post("/oidc/authorize")
async def authorize_post(request: Request) -> Response:
    simulator = sim(request)
    form = await request.form()
    key = form.get("request", "")
    status, params = simulator.oidc_requests.peek(key)
    if status != "ok" or params is None:
        return _error_page(_("This login request has expired or was already completed."))
    if form.get("cancel"):
        simulator.oidc_requests.take(key)
        return _error_redirect(simulator.config.base_url, params["redirect_uri"], "access_denied",
                               "the user cancelled the login", params.get("state"))
    username = (form.get("username") or "").strip()
    person = simulator.directory.check(username, form.get("password") or "")
    if person is None:
        return _form(key, username, _("Wrong username or password."), status=401)
    simulator.oidc_requests.take(key)
    auth_time = int(time.time())
    response = _issue_code(simulator, params, person, auth_time)
    simulator.sign_in(response, person)
    return response


# --- token endpoint ---

def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="oidc"'} if status == 401 else None
    return _json({"error": error, "error_description": description}, status, headers)


def _client_credentials(request: Request, form) -> tuple[str, str, str]:
    """(client_id, secret, method) from HTTP Basic (RFC 6749 §2.3.1: form-urlencoded parts) or the body."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            client_id, _sep, secret = decoded.partition(":")
            return unquote_plus(client_id), unquote_plus(secret), "client_secret_basic"
        except (ValueError, UnicodeDecodeError):
            return "", "", "client_secret_basic"
    return form.get("client_id", ""), form.get("client_secret", ""), "client_secret_post"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def profile_claims(person: Person) -> dict:
    return {"sub": "u-" + person.username, "name": person.name, "email": person.email, "email_verified": True,
            "preferred_username": person.username, "school_number": person.number, "school_kind": person.kind,
            "school_college": person.college}


def id_token(simulator: Simulator, person: Person, code: dict, access_token: str, fault: str) -> str:
    now = int(time.time())
    claims = {"iss": simulator.config.base_url, "aud": code["client_id"], "azp": code["client_id"],
              "iat": now, "exp": now + simulator.config.id_token_seconds, "auth_time": code["auth_time"],
              "at_hash": s256_half(access_token), **profile_claims(person)}
    if code.get("nonce"):
        claims["nonce"] = code["nonce"]
    key = simulator.keys.key
    if fault == "wrong_nonce":
        claims["nonce"] = (code.get("nonce") or "") + "-not-yours"
    elif fault == "wrong_issuer":
        claims["iss"] = IMPOSTOR_ISSUER
    elif fault == "wrong_audience":
        claims["aud"] = claims["azp"] = "another-client"
    elif fault == "expired":
        claims["iat"], claims["exp"] = now - 1200, now - 600
    elif fault == "bad_signature":
        key = simulator.keys.impostor
    return jwt.encode({"alg": "RS256", "kid": simulator.keys.kid, "typ": "JWT"}, claims, key)


def s256_half(token: str) -> str:
    """at_hash: the left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


@post("/oidc/token")
async def token(request: Request) -> Response:
    simulator = sim(request)
    form = await request.form()
    client_id, secret, _method = _client_credentials(request, form)
    expected = simulator.config.clients.get(client_id)
    if expected is None or not secrets.compare_digest(expected.encode(), secret.encode()):
        return _oauth_error("invalid_client", "client authentication failed", 401)
    if form.get("grant_type") != "authorization_code":
        return _oauth_error("unsupported_grant_type", "only grant_type=authorization_code is supported")
    code_value = form.get("code", "")
    if not code_value:
        return _oauth_error("invalid_request", "code is required")
    status, code = simulator.oidc_codes.take(code_value)
    if status == "used" and code is not None:
        if issued := code.get("access_token"):  # RFC 6749 §4.1.2: revoke what the code gave
            simulator.oidc_tokens.drop(issued)
        return _oauth_error("invalid_grant", "authorization code has already been used")
    if status != "ok" or code is None:
        return _oauth_error("invalid_grant", "authorization code is invalid or expired")
    if code["client_id"] != client_id:
        return _oauth_error("invalid_grant", "authorization code was issued to another client")
    if form.get("redirect_uri", "") != code["redirect_uri"]:
        return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
    verifier = form.get("code_verifier", "")
    if not PKCE_VERIFIER.match(verifier) or not secrets.compare_digest(s256(verifier), code["code_challenge"]):
        return _oauth_error("invalid_grant", "PKCE verification failed (code_verifier)")
    person = simulator.directory.get(code["username"])
    if person is None:
        return _oauth_error("invalid_grant", "the user no longer exists")
    access_token = simulator.oidc_tokens.issue({"username": person.username, "client_id": client_id,
                                                "scope": code["scope"]}, simulator.config.access_token_seconds)
    code["access_token"] = access_token
    fault = simulator.faults.get("oidc", "")
    if fault:
        simulator.faults["oidc"] = ""  # one defective response, then normal again
    return _json({"access_token": access_token, "token_type": "Bearer",
                  "expires_in": simulator.config.access_token_seconds, "scope": code["scope"],
                  "id_token": id_token(simulator, person, code, access_token, fault if fault in OIDC_FAULTS
                                       else "")})


@route("/oidc/userinfo", http_method=["GET", "POST"], sync_to_thread=False)
def userinfo(request: Request) -> Response:
    simulator = sim(request)
    header = request.headers.get("authorization", "")
    token_value = header[7:].strip() if header.lower().startswith("bearer ") else ""
    status, value = simulator.oidc_tokens.peek(token_value)
    person = simulator.directory.get(value["username"]) if status == "ok" and value else None
    if person is None:
        return _json({"error": "invalid_token", "error_description": "access token is invalid or expired"}, 401,
                     {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return _json(profile_claims(person))


@get("/oidc/logout", sync_to_thread=False)
def logout(request: Request) -> Response:
    simulator = sim(request)
    target = request.query_params.get("post_logout_redirect_uri", "")
    if target and simulator.config.allowed_redirect(target):
        state = request.query_params.get("state")
        response: Response = Redirect(with_params(target, state=state) if state else target, status_code=302)
    else:
        response = pages.page(_("Logged out"), pages.paragraphs(
            _("You have logged out of the school identity provider.")))
    simulator.sign_out(request, response)
    return response


ROUTES = [discovery, jwks, authorize, authorize_post, token, userinfo, logout]

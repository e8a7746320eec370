"""OpenID Connect client (SUP-05): discovery, the authorization-code flow with state, nonce and PKCE S256
(Authlib's OAuth 2 client), and the ID token checked for its signature against the server's JWKS, its
issuer, audience, expiry and our nonce (joserfc) — each failure a reason of its own in the login log."""
from __future__ import annotations

import time
import warnings
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from app.config import get_settings
from app.core.i18n import gettext as _
from app.identity.auth_states import AuthState
from app.identity.external import ExternalIdentity, LoginFailed
from app.identity.providers import Provider

with warnings.catch_warnings():  # Authlib prefers the httpx2 package; httpx (installed) is its supported fallback
    from authlib.deprecate import AuthlibDeprecationWarning  # first: it installs its own "always" filter

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
CACHE_SECONDS = 300
LEEWAY = 60  # seconds of clock skew allowed on exp / iat
ALGORITHMS = ["RS256"]
_cache: dict[str, tuple[float, dict]] = {}


def redirect_uri(provider: Provider) -> str:
    return f"{get_settings().public_url()}/auth/sso/{provider.code}/callback"


def unreachable(detail: str) -> LoginFailed:
    return LoginFailed("idp_unreachable", _("The login server could not be reached. Try again in a moment."),
                       detail[:200])


async def _get_json(url: str) -> dict:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.get(url)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise unreachable(f"{url}: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise unreachable(f"{url}: not a JSON object")
    return data


async def _cached(url: str, fresh: bool = False) -> dict:
    hit = _cache.get(url)
    if hit and not fresh and hit[0] > time.monotonic():
        return hit[1]
    data = await _get_json(url)
    _cache[url] = (time.monotonic() + CACHE_SECONDS, data)
    return data


def forget_cache() -> None:
    _cache.clear()


async def discovery(provider: Provider) -> dict:
    """The server's metadata (cached a few minutes). Its issuer must be the very URL we asked (OIDC
    Discovery §4.3), else anyone answering there could claim to be another issuer."""
    doc = await _cached(f"{provider.base}/.well-known/openid-configuration")
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
    if missing or doc["issuer"].rstrip("/") != provider.base:
        raise LoginFailed("oidc_discovery", _("The login server's configuration does not match its address."),
                          f"issuer {doc.get('issuer')!r}, missing {missing}")
    return doc


def _client(provider: Provider) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(client_id=provider.client_id, client_secret=provider.client_secret,
                             scope=provider.scopes or "openid", redirect_uri=redirect_uri(provider),
                             code_challenge_method="S256", timeout=TIMEOUT)


async def authorize_url(provider: Provider, state: AuthState) -> str:
    doc = await discovery(provider)
    async with _client(provider) as client:
        url, _state = client.create_authorization_url(doc["authorization_endpoint"], state=state.state,
                                                      code_verifier=state.code_verifier, nonce=state.nonce)
    return url


async def _keys(doc: dict, kid: str | None) -> KeySet:
    """The JWKS; fetched again once when the token names a key we do not know yet (key rotation)."""
    data = await _cached(doc["jwks_uri"])
    if kid and kid not in {k.get("kid") for k in data.get("keys", [])}:
        data = await _cached(doc["jwks_uri"], fresh=True)
    try:
        return KeySet.import_key_set(data)
    except (JoseError, KeyError, TypeError, ValueError) as exc:
        raise unreachable(f"jwks: {exc}") from None


def _header_kid(id_token: str) -> str | None:
    import base64
    import json

    try:
        head = id_token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))).get("kid")
    except (ValueError, IndexError, AttributeError):
        return None


def _refused(reason: str, detail: str = "", subject: str = "") -> LoginFailed:
    messages = {
        "oidc_signature": _("The login server's answer is not validly signed."),
        "oidc_issuer": _("The login answer comes from another server than the one we asked."),
        "oidc_audience": _("The login answer was issued for another application."),
        "oidc_expired": _("The login answer has expired."),
        "oidc_nonce": _("The login answer does not belong to this login attempt."),
        "oidc_claims": _("The login answer lacks the user's identity."),
    }
    return LoginFailed(reason, messages[reason], detail[:200], subject)


async def verify_id_token(provider: Provider, doc: dict, id_token: str, nonce: str) -> dict:
    """The ID token's claims, after its signature, issuer, audience, expiry and nonce passed."""
    keys = await _keys(doc, _header_kid(id_token))
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except BadSignatureError as exc:
        raise _refused("oidc_signature", str(exc)) from None
    except JoseError as exc:  # unknown key, malformed token, an algorithm we do not accept
        raise _refused("oidc_signature", f"{type(exc).__name__}: {exc}") from None
    claims = token.claims
    subject = str(claims.get("sub") or "")
    checks = (
        ("oidc_issuer", {"iss": {"essential": True, "value": doc["issuer"]}}),
        ("oidc_audience", {"aud": {"essential": True, "value": provider.client_id}}),
        ("oidc_expired", {"exp": {"essential": True}}),
        ("oidc_nonce", {"nonce": {"essential": True, "value": nonce}}),
        ("oidc_claims", {"sub": {"essential": True}}),
    )
    for reason, options in checks:  # one registry per claim: each failure has its own reason
        name = next(iter(options))
        try:
            jwt.JWTClaimsRegistry(leeway=LEEWAY, **options).validate({name: claims.get(name)})
        except (ClaimError, ExpiredTokenError) as exc:
            raise _refused(reason, f"{name}={claims.get(name)!r}: {exc}", subject) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:  # OIDC Core §3.1.3.7, step 5
        raise _refused("oidc_audience", f"azp={claims.get('azp')!r}", subject)
    return claims


async def exchange(provider: Provider, state: AuthState, code: str, iss: str | None = None) -> ExternalIdentity:
    """The authorization code → tokens (with the PKCE verifier of this state) → the verified identity.
    `iss`: the callback's issuer parameter (RFC 9207), when the server sends one — it must be ours."""
    if not code or len(code) > 512:
        raise LoginFailed("oidc_token", _("The login server did not send a login code."), "no code")
    doc = await discovery(provider)
    if iss is not None and iss != doc["issuer"]:
        raise _refused("oidc_issuer", f"callback iss={iss!r}")
    try:
        async with _client(provider) as client:
            token = await client.fetch_token(doc["token_endpoint"], grant_type="authorization_code", code=code,
                                             code_verifier=state.code_verifier)
    except OAuthError as exc:
        raise LoginFailed("oidc_token", _("The login server refused to complete this login. Start again."),
                          f"{exc.error}: {exc.description}") from None
    except (httpx.HTTPError, ValueError) as exc:
        raise unreachable(f"token: {type(exc).__name__}: {exc}") from None
    id_token = token.get("id_token")
    if not id_token or not isinstance(id_token, str):
        raise _refused("oidc_claims", "no id_token in the token response")
    claims = await verify_id_token(provider, doc, id_token, state.nonce)
    return identity(provider, claims)


def identity(provider: Provider, claims: dict) -> ExternalIdentity:
    def one(name: str) -> str:
        return str(claims.get(name) or "").strip() if name else ""

    email = one("email") if claims.get("email_verified", True) is not False else ""
    kept = {k: claims[k] for k in ("name", "email", "preferred_username", "school_number", "school_kind")
            if k in claims}
    return ExternalIdentity(provider.id, one("sub"), display_name=one("name") or one("preferred_username"),
                            email=email, number=one(provider.number_attribute) or one("preferred_username"),
                            attributes=kept)


def error_from_callback(params: dict) -> LoginFailed:
    """The server sent the browser back with ?error=… (the user cancelled, or it refused the request)."""
    error = str(params.get("error") or "")[:100]
    return LoginFailed("oidc_denied", _("The login server did not complete the login (%(error)s).", error=error),
                       urlencode({"error": error, "description": str(params.get("error_description") or "")[:200]}))

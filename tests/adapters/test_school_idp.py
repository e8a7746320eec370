"""The built-in school IdP and simulators (`python -m app idp`), over real HTTP against the started process:
CAS 2.0/3.0, OpenID Connect code flow with PKCE (signature checked with the published JWKS), the fault
switches, WeChat web OAuth, and the real-name / face verification API."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import secrets
import socket
import time
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError
from joserfc.jwk import KeySet
from PIL import Image

from app.core import id_numbers
from tests.helpers import IdpProcess

CAS = "{http://www.yale.edu/tp/cas}"
SERVICE = "http://127.0.0.1:8000/sso/cas/callback?next=%2Fh5"
REDIRECT = "http://127.0.0.1:8000/sso/oidc/callback"
WX_REDIRECT = "http://localhost:8000/wechat/callback"
CLIENT, SECRET = "tongchuang", "tongchuang-dev-secret"
APPID, APPSECRET = "wxdev00000000001", "wechat-dev-secret"
RN_AUTH = {"Authorization": "Bearer realname-dev-secret"}


@pytest.fixture
def browser(idp):
    with httpx.Client(base_url=idp, follow_redirects=False, headers={"accept-language": "en"}, timeout=10) as c:
        yield c


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return unescape(match.group(1))


# --- CAS ---

def cas_ticket(browser, service: str = SERVICE, username: str = "t2001", password: str = "idp-pass") -> str:
    form = browser.get("/cas/login", params={"service": service})
    assert form.status_code == 200 and 'name="password"' in form.text
    assert hidden(form.text, "service") == service
    response = browser.post("/cas/login", data={"service": service, "username": username, "password": password})
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(service + "&ticket=ST-")
    return query(location)["ticket"]


def validate(browser, path: str, service: str, ticket: str) -> ET.Element:
    response = browser.get(path, params={"service": service, "ticket": ticket})
    assert response.status_code == 200 and "xml" in response.headers["content-type"]
    return ET.fromstring(response.text)


def failure_code(root: ET.Element) -> str | None:
    failure = root.find(f"{CAS}authenticationFailure")
    return failure.get("code") if failure is not None else None


@pytest.mark.req("SUP-05")
def test_cas2_validates_a_real_ticket_once(browser):
    ticket = cas_ticket(browser)
    root = validate(browser, "/cas/serviceValidate", SERVICE, ticket)
    assert root.findtext(f"{CAS}authenticationSuccess/{CAS}user") == "t2001"
    assert root.find(f"{CAS}authenticationSuccess/{CAS}attributes") is None  # CAS 2.0: the user only
    replay = validate(browser, "/cas/serviceValidate", SERVICE, ticket)
    assert failure_code(replay) == "INVALID_TICKET"


@pytest.mark.req("SUP-05")
def test_cas3_gives_attributes_in_xml_and_json(browser):
    root = validate(browser, "/cas/p3/serviceValidate", SERVICE, cas_ticket(browser))
    attrs = root.find(f"{CAS}authenticationSuccess/{CAS}attributes")
    assert root.findtext(f"{CAS}authenticationSuccess/{CAS}user") == "t2001"
    assert {k: attrs.findtext(f"{CAS}{k}") for k in ("name", "email", "number", "kind", "college")} == {
        "name": "李计算", "email": "cs_admin@tongchuang.local", "number": "T2001", "kind": "staff",
        "college": "计算机学院"}
    assert attrs.findtext(f"{CAS}isFromNewLogin") == "true"  # the password was just typed
    ticket = cas_ticket(httpx.Client(base_url=str(browser.base_url)), username="S2008001")  # usernames: any case
    data = browser.get("/cas/p3/serviceValidate", params={"service": SERVICE, "ticket": ticket,
                                                           "format": "JSON"}).json()
    success = data["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == "s2008001"
    assert success["attributes"]["number"] == ["2008010101"] and success["attributes"]["kind"] == ["alumnus"]


@pytest.mark.req("SUP-05")
def test_cas_refuses_forged_tickets_wrong_services_and_bad_requests(browser):
    assert failure_code(validate(browser, "/cas/serviceValidate", SERVICE, "ST-forged-0001")) == "INVALID_TICKET"
    assert failure_code(validate(browser, "/cas/p3/serviceValidate", SERVICE, "forged")) == "INVALID_TICKET"
    ticket = cas_ticket(browser)
    wrong = validate(browser, "/cas/p3/serviceValidate", SERVICE + "&x=1", ticket)
    assert failure_code(wrong) == "INVALID_SERVICE"
    assert "does not match supplied service" in wrong.findtext(f"{CAS}authenticationFailure")
    # the failed attempt used the ticket up
    assert failure_code(validate(browser, "/cas/p3/serviceValidate", SERVICE, ticket)) == "INVALID_TICKET"
    missing = ET.fromstring(browser.get("/cas/serviceValidate", params={"service": SERVICE}).text)
    assert failure_code(missing) == "INVALID_REQUEST"


@pytest.mark.req("SUP-05")
def test_cas_tickets_expire(browser):
    ticket = cas_ticket(browser)
    assert browser.post("/_sim/expire").json()["expired"] >= 1
    root = validate(browser, "/cas/serviceValidate", SERVICE, ticket)
    assert failure_code(root) == "INVALID_TICKET" and "expired" in root.findtext(f"{CAS}authenticationFailure")


@pytest.mark.req("SUP-05")
def test_cas_login_form_sso_renew_gateway_and_logout(browser, idp):
    with httpx.Client(base_url=idp, follow_redirects=False) as fresh:
        gateway = fresh.get("/cas/login", params={"service": SERVICE, "gateway": "true"})
        assert gateway.status_code == 302 and gateway.headers["location"] == SERVICE  # no session, no ticket
    wrong = browser.post("/cas/login", data={"service": SERVICE, "username": "t2001", "password": "nope"})
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    assert 'value="t2001"' in wrong.text  # what the user typed is kept
    cas_ticket(browser)
    again = browser.get("/cas/login", params={"service": SERVICE})  # the SSO cookie skips the form
    assert again.status_code == 302 and "ticket=ST-" in again.headers["location"]
    renew = browser.get("/cas/login", params={"service": SERVICE, "renew": "true"})
    assert renew.status_code == 200 and 'name="password"' in renew.text and hidden(renew.text, "renew") == "true"
    sso_ticket = query(browser.get("/cas/login", params={"service": SERVICE}).headers["location"])["ticket"]
    refused = browser.get("/cas/serviceValidate", params={"service": SERVICE, "ticket": sso_ticket, "renew": "true"})
    assert failure_code(ET.fromstring(refused.text)) == "INVALID_TICKET"  # renew wants a ticket from a new login
    out = browser.get("/cas/logout", params={"service": SERVICE})
    assert out.status_code == 302 and out.headers["location"] == SERVICE
    assert browser.get("/cas/login", params={"service": SERVICE}).status_code == 200  # the form again
    assert browser.get("/cas/login", params={"service": "https://evil.example.com/"}).status_code == 403


@pytest.mark.req("SUP-05")
def test_people_added_at_run_time_can_log_in(browser):
    entry = {"username": "runtime01", "password": "pw-1", "name": "临时人", "email": "runtime01@school.example.cn",
             "number": "T7001", "kind": "staff", "college": "理学院"}
    assert browser.post("/_sim/directory", json={**entry, "kind": "wizard"}).status_code == 400
    assert browser.post("/_sim/directory", json=entry).status_code == 201
    root = validate(browser, "/cas/p3/serviceValidate", SERVICE, cas_ticket(browser, username="runtime01",
                                                                              password="pw-1"))
    assert root.findtext(f"{CAS}authenticationSuccess/{CAS}attributes/{CAS}number") == "T7001"


# --- OpenID Connect ---

def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, **extra) -> dict:
    return {"client_id": CLIENT, "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid profile email",
            "state": "st-" + secrets.token_hex(4), "nonce": "n-" + secrets.token_hex(8), "code_challenge": challenge,
            "code_challenge_method": "S256", **extra}


def oidc_code(browser, challenge: str, username: str = "t2001") -> tuple[str, dict]:
    """Through the login form (or the SSO session when there is one): (code, the authorize params)."""
    params = authorize_params(challenge)
    response = browser.get("/oidc/authorize", params=params)
    if response.status_code == 200:
        response = browser.post("/oidc/authorize", data={"request": hidden(response.text, "request"),
                                                         "username": username, "password": "idp-pass"})
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    got = query(location)
    assert got["state"] == params["state"]
    return got["code"], params


def token(browser, code: str, verifier: str, basic: bool = True, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
            **extra}
    if basic:
        return browser.post("/oidc/token", data=data, auth=(CLIENT, SECRET))
    return browser.post("/oidc/token", data={**data, "client_id": CLIENT, "client_secret": SECRET})


def jwks(browser) -> KeySet:
    return KeySet.import_key_set(browser.get("/oidc/jwks").json())


@pytest.mark.req("SUP-05")
def test_oidc_discovery_and_jwks(browser, idp):
    doc = browser.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == idp
    assert {k: doc[k] for k in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                                "end_session_endpoint")} == {
        "authorization_endpoint": f"{idp}/oidc/authorize", "token_endpoint": f"{idp}/oidc/token",
        "userinfo_endpoint": f"{idp}/oidc/userinfo", "jwks_uri": f"{idp}/oidc/jwks",
        "end_session_endpoint": f"{idp}/oidc/logout"}
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert {"openid", "profile", "email", "school"} <= set(doc["scopes_supported"])
    assert "school_number" in doc["claims_supported"]
    (key,) = browser.get("/oidc/jwks").json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"] and "d" not in key  # public only


@pytest.mark.req("SUP-05")
def test_oidc_code_flow_with_pkce(browser, idp):
    verifier, challenge = pkce()
    code, params = oidc_code(browser, challenge)
    response = token(browser, code, verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["scope"] == params["scope"]
    decoded = jwt.decode(body["id_token"], jwks(browser))  # RS256, signature checked with the published key
    assert decoded.header["alg"] == "RS256" and decoded.header["kid"] == browser.get("/oidc/jwks").json()[
        "keys"][0]["kid"]
    claims = decoded.claims
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": idp}, aud={"essential": True, "value": CLIENT},
                          nonce={"essential": True, "value": params["nonce"]}).validate(claims)
    assert claims["exp"] - claims["iat"] == 600 and claims["auth_time"] <= claims["iat"]
    assert {k: claims[k] for k in ("sub", "name", "email", "email_verified", "preferred_username", "school_number",
                                   "school_kind")} == {
        "sub": "u-t2001", "name": "李计算", "email": "cs_admin@tongchuang.local", "email_verified": True,
        "preferred_username": "t2001", "school_number": "T2001", "school_kind": "staff"}
    info = browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == "u-t2001" and info.json()["school_number"] == "T2001"
    # the code is single use; the replay also revokes the token it gave
    replay = token(browser, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
                       ).status_code == 401


@pytest.mark.req("SUP-05")
def test_oidc_token_endpoint_refusals(browser):
    verifier, challenge = pkce()
    code, _params = oidc_code(browser, challenge, username="newstaff")
    wrong = token(browser, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert token(browser, code, verifier).json()["error"] == "invalid_grant"  # the failed try used it up
    code, _params = oidc_code(browser, challenge)
    bad_client = browser.post("/oidc/token", auth=(CLIENT, "wrong"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    assert "www-authenticate" in bad_client.headers
    other_redirect = token(browser, code, verifier, redirect_uri=REDIRECT + "/other")
    assert other_redirect.json()["error"] == "invalid_grant"
    code, _params = oidc_code(browser, challenge)
    assert token(browser, code, verifier, basic=False).status_code == 200  # client_secret_post
    code, _params = oidc_code(browser, challenge)
    browser.post("/_sim/expire")
    assert token(browser, code, verifier).json()["error"] == "invalid_grant"


@pytest.mark.req("SUP-05")
def test_oidc_authorize_requires_pkce_s256_state_and_a_known_client(browser):
    _verifier, challenge = pkce()
    for extra in ({"code_challenge": ""}, {"code_challenge_method": "plain"}, {"code_challenge_method": ""}):
        params = {k: v for k, v in authorize_params(challenge, **extra).items() if v}
        response = browser.get("/oidc/authorize", params=params)
        assert response.status_code == 302
        got = query(response.headers["location"])
        assert got["error"] == "invalid_request" and got["state"] == params["state"]
    no_state = {k: v for k, v in authorize_params(challenge).items() if k != "state"}
    assert query(browser.get("/oidc/authorize", params=no_state).headers["location"])["error"] == "invalid_request"
    no_openid = query(browser.get("/oidc/authorize", params=authorize_params(challenge, scope="profile")
                                  ).headers["location"])
    assert no_openid["error"] == "invalid_scope"
    for extra in ({"client_id": "stranger"}, {"redirect_uri": "https://evil.example.com/cb"}):
        page = browser.get("/oidc/authorize", params=authorize_params(challenge, **extra))
        assert page.status_code == 400 and "location" not in page.headers  # never redirect to an unknown party


def fault_token(browser, fault: str) -> tuple[str, dict]:
    assert browser.post("/_sim/faults", json={"oidc": fault}).json()["oidc"] == fault
    verifier, challenge = pkce()
    code, params = oidc_code(browser, challenge)
    response = token(browser, code, verifier)
    assert response.status_code == 200
    return response.json()["id_token"], params


@pytest.mark.req("SUP-05")
@pytest.mark.parametrize("fault", ["wrong_nonce", "wrong_issuer", "wrong_audience", "bad_signature", "expired"])
def test_oidc_fault_switches_spoil_the_next_token_only(browser, idp, fault):
    assert browser.get("/_sim/faults").json()["oidc"] == ""
    id_token, params = fault_token(browser, fault)
    assert browser.get("/_sim/faults").json()["oidc"] == ""  # used up by that one response
    keys = jwks(browser)
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": idp}, aud={"essential": True, "value": CLIENT},
                                     nonce={"essential": True, "value": params["nonce"]})
    with pytest.raises((BadSignatureError, InvalidClaimError, ExpiredTokenError)) as caught:
        registry.validate(jwt.decode(id_token, keys).claims)
    expected = {"bad_signature": BadSignatureError, "expired": ExpiredTokenError}.get(fault, InvalidClaimError)
    assert isinstance(caught.value, expected)
    fine, params = fault_token(browser, "")
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": idp}, aud={"essential": True, "value": CLIENT},
                          nonce={"essential": True, "value": params["nonce"]}).validate(jwt.decode(fine, keys).claims)
    assert browser.post("/_sim/faults", json={"oidc": "bogus"}).status_code == 400


@pytest.mark.req("SUP-05")
def test_oidc_logout_ends_the_sso_session(browser):
    _verifier, challenge = pkce()
    oidc_code(browser, challenge)
    assert browser.get("/oidc/authorize", params=authorize_params(challenge)).status_code == 302  # SSO
    out = browser.get("/oidc/logout", params={"post_logout_redirect_uri": REDIRECT, "state": "bye"})
    assert out.status_code == 302 and query(out.headers["location"]) == {"state": "bye"}
    assert browser.get("/oidc/authorize", params=authorize_params(challenge)).status_code == 200  # form again


# --- WeChat web OAuth ---

def wx_params(scope: str, **extra) -> dict:
    return {"appid": APPID, "redirect_uri": WX_REDIRECT, "response_type": "code", "scope": scope,
            "state": "wx-" + secrets.token_hex(3), **extra}


def wx_token(browser, code: str, **extra) -> dict:
    return browser.get("/sns/oauth2/access_token", params={
        "appid": APPID, "secret": APPSECRET, "code": code, "grant_type": "authorization_code", **extra}).json()


def wx_code(browser, scope: str, account: str) -> str:
    params = wx_params(scope, sim_account=account)
    response = browser.get("/connect/oauth2/authorize", params=params)
    assert response.status_code == 302, response.text
    got = query(response.headers["location"])
    assert got["state"] == params["state"] and response.headers["location"].startswith(WX_REDIRECT + "?")
    return got["code"]


@pytest.mark.req("SUP-08")
def test_wechat_base_flow_openids_and_refusals(browser):
    first = wx_token(browser, wx_code(browser, "snsapi_base", "微信用户小张"))
    assert first["scope"] == "snsapi_base" and first["expires_in"] == 7200 and first["refresh_token"]
    assert len(first["openid"]) == 28 and first["openid"].startswith("o") and first["unionid"]
    code = wx_code(browser, "snsapi_base", "微信用户小张")
    again = wx_token(browser, code)
    assert again["openid"] == first["openid"] and again["access_token"] != first["access_token"]
    assert wx_token(browser, code) == {"errcode": 40163, "errmsg": "code been used"}
    other = wx_token(browser, wx_code(browser, "snsapi_base", "微信用户小王"))
    assert other["openid"] != first["openid"] and other["unionid"] != first["unionid"]
    refused = browser.get("/sns/userinfo", params={"access_token": first["access_token"], "openid": first["openid"],
                                                   "lang": "zh_CN"}).json()
    assert refused == {"errcode": 48001, "errmsg": "api unauthorized"}
    assert wx_token(browser, "not-a-code") == {"errcode": 40029, "errmsg": "invalid code"}
    assert wx_token(browser, wx_code(browser, "snsapi_base", "微信用户小张"), secret="x")["errcode"] == 40125
    assert wx_token(browser, "x", appid="wx0000000000bogus") == {"errcode": 40013, "errmsg": "invalid appid"}
    assert browser.get("/sns/auth", params={"access_token": first["access_token"],
                                            "openid": first["openid"]}).json() == {"errcode": 0, "errmsg": "ok"}
    assert browser.get("/sns/auth", params={"access_token": "nope", "openid": first["openid"]}
                       ).json()["errcode"] == 40001
    code = wx_code(browser, "snsapi_base", "微信用户小张")
    browser.post("/_sim/expire")
    assert wx_token(browser, code)["errcode"] == 40029  # codes live 5 minutes


@pytest.mark.req("SUP-08")
def test_wechat_userinfo_flow_through_the_account_chooser_and_consent(idp):
    with httpx.Client(base_url=idp, follow_redirects=False, headers={"accept-language": "en"}) as phone:
        params = wx_params("snsapi_userinfo")
        chooser = phone.get("/connect/oauth2/authorize", params=params)
        assert chooser.status_code == 200 and "Which WeChat account is this phone?" in chooser.text
        assert "微信用户小李" in chooser.text
        chosen = phone.post("/connect/oauth2/account", data={**params, "nickname": "微信用户小李"})
        assert chosen.status_code == 303 and chosen.headers["location"].startswith("/connect/oauth2/authorize?")
        consent = phone.get(chosen.headers["location"])  # the cookie now says which account this phone is
        assert consent.status_code == 200 and 'value="allow"' in consent.text and "微信用户小李" in consent.text
        denied = phone.post("/connect/oauth2/consent", data={**params, "decision": "deny"})
        assert denied.status_code == 302 and query(denied.headers["location"]) == {"state": params["state"]}
        allowed = phone.post("/connect/oauth2/consent", data={**params, "decision": "allow"})
        code = query(allowed.headers["location"])["code"]
        tokens = wx_token(phone, code)
        assert tokens["scope"] == "snsapi_userinfo"
        info = phone.get("/sns/userinfo", params={"access_token": tokens["access_token"], "openid": tokens["openid"],
                                                  "lang": "zh_CN"}).json()
        assert info["nickname"] == "微信用户小李" and info["openid"] == tokens["openid"]
        assert info["unionid"] == tokens["unionid"] and info["privilege"] == []
        assert {"sex", "province", "city", "country", "headimgurl"} <= set(info)
        assert phone.get(urlsplit(info["headimgurl"]).path).headers["content-type"] == "image/png"
        assert phone.get("/sns/userinfo", params={"access_token": tokens["access_token"], "openid": "o-other"}
                         ).json()["errcode"] == 40003
        # the same account through snsapi_base later: the same openid
        base = phone.get("/connect/oauth2/authorize", params=wx_params("snsapi_base"))
        assert wx_token(phone, query(base.headers["location"])["code"])["openid"] == tokens["openid"]
        bad = phone.get("/connect/oauth2/authorize", params=wx_params("snsapi_base", redirect_uri="https://evil.cn/"))
        assert bad.status_code == 400 and "10003" in bad.text


# --- real-name / face verification ---

def photo(size: int = 200, grey: int = 128) -> str:
    out = io.BytesIO()
    Image.new("L", (size, size), grey).convert("RGB").save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


VALID_ID = id_numbers.complete("11010519491231002")
MISMATCH_ID = id_numbers.complete("11010519491231999")


def verify(client, name="王小明", id_number=VALID_ID, picture=None, request_id=None, headers=RN_AUTH):
    return client.post("/realname/v1/verify", headers=headers, json={
        "request_id": request_id or secrets.token_hex(8), "name": name, "id_number": id_number,
        "photo": photo() if picture is None else picture})


@pytest.mark.req("IDV-01")
def test_realname_outcomes(browser):
    started = time.monotonic()
    passed = verify(browser, request_id="rq-pass-1")
    assert time.monotonic() - started >= 0.02  # the provider takes its time (50 ms ±50 % in tests)
    body = passed.json()
    assert passed.status_code == 200 and body["request_id"] == "rq-pass-1" and body["result"] == "PASS"
    assert 80 <= body["score"] <= 99 and body["provider_ref"] and body["message"]
    assert verify(browser, id_number=MISMATCH_ID).json()["result"] == "NAME_ID_MISMATCH"
    assert verify(browser, name="王").json()["result"] == "NAME_ID_MISMATCH"
    wrong_check = VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")
    assert verify(browser, id_number=wrong_check).json()["result"] == "ID_INVALID"
    assert verify(browser, picture=photo(size=60)).json()["result"] == "NO_FACE"
    assert verify(browser, picture=base64.b64encode(b"not an image at all").decode()).json()["result"] == "NO_FACE"
    assert verify(browser, picture=photo(grey=5)).json()["result"] == "FACE_MISMATCH"


@pytest.mark.req("IDV-01")
def test_realname_is_idempotent_authenticated_and_validates_input(browser):
    before = browser.get("/_sim/realname/calls").json()
    first = verify(browser, request_id="rq-idem-1").json()
    again = verify(browser, request_id="rq-idem-1", picture=photo(grey=5)).json()
    assert again == first  # the first answer, not a new (billed) check
    after = browser.get("/_sim/realname/calls").json()
    assert after["calls"] == before["calls"] + 2
    assert after["today"]["tc-dev"] == before["today"].get("tc-dev", 0) + 1
    assert verify(browser, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert verify(browser, headers={}).status_code == 401
    malformed = browser.post("/realname/v1/verify", headers=RN_AUTH, content=b"{not json")
    assert malformed.status_code == 400
    assert browser.post("/realname/v1/verify", headers=RN_AUTH, json={"request_id": "x"}).status_code == 400
    assert verify(browser, picture="***not base64***").status_code == 400


# --- its own process: key persistence, env configuration, the daily limit ---

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.req("IDV-01")
@pytest.mark.req("SUP-05")
def test_a_second_simulator_keeps_its_key_and_reads_its_environment(tmp_path):
    extra = tmp_path / "people.json"
    extra.write_text(json.dumps([{"username": "envperson", "password": "pw-env", "name": "环境人",
                                  "email": "env@school.example.cn", "number": "T8001", "kind": "staff"}]))
    env = {"TC_DATA_DIR": str(tmp_path / "data"), "TC_IDP_REALNAME_DAILY": "1", "TC_IDP_REALNAME_LATENCY_MS": "0",
           "TC_IDP_DIRECTORY": str(extra), "TC_IDP_CLIENTS": json.dumps({"other-app": "other-secret"})}
    port = _free_port()
    with IdpProcess(port, tmp_path / "idp1.log", **env) as first:
        kid = httpx.get(first.url + "/oidc/jwks").json()["keys"][0]["kid"]
        key_file = tmp_path / "data" / "idp" / "jwks_private.pem"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert httpx.get(first.url + "/.well-known/openid-configuration").json()["issuer"] == first.url
        with httpx.Client(base_url=first.url) as c:
            assert verify(c).json()["result"] == "PASS"
            limited = verify(c)
            assert limited.status_code == 429 and limited.json()["result"] == "LIMIT_EXCEEDED"
            assert c.post("/_sim/realname", json={"daily_limit": 2}).json()["daily_limit"] == 2
            assert verify(c).status_code == 200
            assert c.get("/_sim/realname/calls").json()["today"] == {"tc-dev": 2}
            ticket = cas_ticket(c, username="envperson", password="pw-env")
            assert validate(c, "/cas/serviceValidate", SERVICE, ticket).findtext(
                f"{CAS}authenticationSuccess/{CAS}user") == "envperson"
            _v, challenge = pkce()
            page = c.get("/oidc/authorize", params=authorize_params(challenge, client_id="other-app"))
            assert page.status_code == 302  # the extra client is registered (SSO session from the CAS login)
    with IdpProcess(port, tmp_path / "idp2.log", **env) as second:
        assert httpx.get(second.url + "/oidc/jwks").json()["keys"][0]["kid"] == kid  # same key after a restart


@pytest.mark.req("SUP-05")
def test_pages_follow_the_language_and_escape_input(browser):
    page = browser.get("/cas/login", params={"service": SERVICE + '&"><script>x</script>'})
    assert page.status_code == 200 and "<script>x" not in page.text and "&lt;script&gt;" in page.text
    assert "Central login" in page.text  # Accept-Language: en
    assert '<html lang="zh-CN"' in httpx.get(str(browser.base_url) + "/cas/login").text  # default zh_CN
    assert browser.get("/").status_code == 200


def test_environment_points_tests_at_the_fixture(idp):
    assert os.environ["TC_IDP_URL"] == idp  # the app's providers with an empty base URL talk to this process

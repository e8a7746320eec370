"""SUP-08 the identity token API for school apps: an admin creates a client (the secret shown once, stored
hashed), the client-credentials grant (RFC 6749 §4.4, errors §5.2), scoped reads, 401 / 403 / 429, and
revocation that kills every token of the client at once."""
import base64
import re

import pytest

from app.core import audit
from app.identity import clients
from tests.helpers import post_form

pytestmark = pytest.mark.req("SUP-08")
TOKEN = "/api/identity/token"


async def new_client(scopes=("profile.read",), rate=60) -> tuple[str, str]:
    _row, client_id, secret = await clients.create(audit.SYSTEM, name="就业系统", scopes=list(scopes),
                                                   rate_per_minute=rate)
    return client_id, secret


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def get_token(client, client_id: str, secret: str, **extra) -> dict:
    response = await client.post(TOKEN, data={"grant_type": "client_credentials", **extra},
                                 headers=basic(client_id, secret))
    assert response.status_code == 200, response.text
    return response.json()


async def test_admin_creates_a_client_and_sees_its_secret_once(db, as_user):
    client = await as_user("hq")
    created = await post_form(client, "/admin/identity/clients/new", "/admin/identity/clients",
                              {"name": "图书馆系统", "scopes": ["profile.read", "verification.read"],
                               "rate_per_minute": "30"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    client_id = re.search(r'id="client-id">([^<]+)<', created.text).group(1)
    secret = re.search(r'id="client-secret">([^<]+)<', created.text).group(1)
    row = await db.fetchrow("SELECT id, secret_hash, scopes, rate_per_minute FROM idn_client WHERE client_id = $1",
                            client_id)
    assert secret not in row["secret_hash"] and row["secret_hash"] == clients.token_hash(secret)
    assert sorted(row["scopes"]) == ["profile.read", "verification.read"] and row["rate_per_minute"] == 30
    for page in ("/admin/identity/clients", f"/admin/identity/clients/{row['id']}"):
        shown = await client.get(page)
        assert shown.status_code == 200 and client_id in shown.text and secret not in shown.text
    assert secret not in (await db.fetchval("SELECT after::text FROM audit_log WHERE entity = 'idn_client'"))
    assert (await get_token(client, client_id, secret))["token_type"] == "Bearer"
    none = await post_form(client, "/admin/identity/clients/new", "/admin/identity/clients", {"name": "x"})
    assert none.status_code == 422 and "Choose at least one." in none.text
    outsider = await as_user("cs_admin")
    assert (await outsider.get("/admin/identity/clients")).status_code == 403


async def test_client_credentials_then_scoped_reads(db, client):
    client_id, secret = await new_client()
    issued = await get_token(client, client_id, secret)
    assert issued["expires_in"] == 3600 and issued["scope"] == "profile.read" and issued["token_type"] == "Bearer"
    stored = await db.fetchval("SELECT token_hash FROM idn_client_token")
    assert stored == clients.token_hash(issued["access_token"])  # only the hash is kept

    by_post = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client_id,
                                             "client_secret": secret})
    assert by_post.status_code == 200 and by_post.headers["cache-control"] == "no-store"

    auth = {"Authorization": f"Bearer {issued['access_token']}"}
    liaison = await db.fetchval("SELECT id FROM app_user WHERE username = 'liaison'")
    profile = await client.get(f"/api/identity/v1/users/{liaison}", headers=auth)
    assert profile.status_code == 200 and profile.json() == {"id": liaison, "name": "周联络", "verified": False}
    await db.execute("INSERT INTO idn_claim (\"user\", kind, name, status, method, verified_at)"
                     " VALUES ($1, 'alumnus', '周联络', 'verified', 'manual', now())", liaison)
    assert (await client.get(f"/api/identity/v1/users/{liaison}", headers=auth)).json()["verified"] is True
    missing = await client.get("/api/identity/v1/users/999999", headers=auth)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    forbidden = await client.get(f"/api/identity/v1/users/{liaison}/verification", headers=auth)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]

    both_id, both_secret = await new_client(("profile.read", "verification.read"))
    narrow = await get_token(client, both_id, both_secret, scope="verification.read")
    assert narrow["scope"] == "verification.read"
    narrow_auth = {"Authorization": f"Bearer {narrow['access_token']}"}
    verified = await client.get(f"/api/identity/v1/users/{liaison}/verification", headers=narrow_auth)
    assert verified.status_code == 200 and verified.json()["kind"] == "alumnus" and verified.json()["verified"]
    assert (await client.get(f"/api/identity/v1/users/{liaison}", headers=narrow_auth)).status_code == 403


async def test_token_endpoint_errors_follow_rfc_6749(db, client):
    client_id, secret = await new_client()

    async def error(data: dict, headers: dict | None = None) -> tuple[int, str]:
        response = await client.post(TOKEN, data=data, headers=headers or {})
        return response.status_code, response.json()["error"]

    assert await error({"grant_type": "client_credentials"}, basic(client_id, "wrong")) == (401, "invalid_client")
    assert await error({"grant_type": "client_credentials"}, basic("tc_nobody", secret)) == (401, "invalid_client")
    assert await error({"grant_type": "client_credentials"}) == (401, "invalid_client")
    assert await error({"grant_type": "password"}, basic(client_id, secret)) == (400, "unsupported_grant_type")
    assert await error({}, basic(client_id, secret)) == (400, "invalid_request")
    assert await error({"grant_type": "client_credentials", "scope": "verification.read"},
                       basic(client_id, secret)) == (400, "invalid_scope")
    both = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_secret": secret},
                             headers=basic(client_id, secret))
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    refused = await client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=basic(client_id, "x"))
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert await db.fetchval("SELECT count(*) FROM idn_client_token") == 0


async def test_revoking_a_client_kills_its_tokens_at_once(db, as_user):
    client = await as_user("hq")
    client_id, secret = await new_client()
    auth = {"Authorization": f"Bearer {(await get_token(client, client_id, secret))['access_token']}"}
    user = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    assert (await client.get(f"/api/identity/v1/users/{user}", headers=auth)).status_code == 200
    row_id = await db.fetchval("SELECT id FROM idn_client WHERE client_id = $1", client_id)
    revoked = await post_form(client, f"/admin/identity/clients/{row_id}/revoke",
                              f"/admin/identity/clients/{row_id}/revoke", {})
    assert revoked.status_code == 303
    dead = await client.get(f"/api/identity/v1/users/{user}", headers=auth)
    assert dead.status_code == 401 and dead.json()["code"] == "unauthorized"
    assert 'error="invalid_token"' in dead.headers["www-authenticate"]
    again = await client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=basic(client_id, secret))
    assert again.status_code == 401
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'idn_client' AND action = 'revoke'") == 1
    for bad in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        assert (await client.get(f"/api/identity/v1/users/{user}", headers=bad)).status_code == 401


async def test_calls_above_the_clients_rate_are_refused(db, client):
    client_id, secret = await new_client(rate=3)
    auth = {"Authorization": f"Bearer {(await get_token(client, client_id, secret))['access_token']}"}
    user = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    statuses = [(await client.get(f"/api/identity/v1/users/{user}", headers=auth)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = await client.get(f"/api/identity/v1/users/{user}", headers=auth)
    assert limited.json()["code"] == "rate_limited" and limited.headers["retry-after"] == "60"

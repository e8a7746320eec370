"""SUP-05 / SUP-08 login bindings and providers: the user's own page (list, unlink with a confirm step, never
the last way in), the admin list (search, data scope by the user's org) and removal with a reason, linking
another login while logged in, and the provider admin (secrets masked, kept when left empty, audited)."""
import json

import pytest

from app.core.audit import SYSTEM
from app.identity import bindings, providers
from app.identity.external import ExternalIdentity
from tests.helpers import csrf_from, post_form
from tests.identity.sso_browser import ensure_providers, sso_login

pytestmark = [pytest.mark.req("SUP-05"), pytest.mark.req("SUP-08")]


async def bind(db, username: str, code: str = "cas", subject: str = "", name: str = "外部账号") -> int:
    provider = await providers.by_code(code)
    user_id = await db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    return await bindings.create(SYSTEM, ExternalIdentity(provider.id, subject or f"ext-{username}",
                                                          display_name=name), user_id, "admin")


async def test_a_user_unlinks_a_login_after_confirming(db, as_user, idp):
    await ensure_providers()
    binding_id = await bind(db, "liaison", name="周联络的CAS")
    client = await as_user("liaison")
    page = await client.get("/h5/me/logins")
    assert page.status_code == 200 and "周联络的CAS" in page.text and "统一身份认证 (CAS)" in page.text
    assert "/auth/sso/oidc/start?link=1" in page.text  # the providers not linked yet
    confirm = await client.get(f"/h5/me/logins/{binding_id}/unbind")
    assert confirm.status_code == 200 and "Unlink 统一身份认证 (CAS) from your account?" in confirm.text
    done = await client.post(f"/h5/me/logins/{binding_id}/unbind", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == "/h5/me/logins"
    assert await db.fetchval("SELECT count(*) FROM idn_binding") == 0
    audit = await db.fetchrow("SELECT actor_name, before FROM audit_log WHERE action = 'unbind'")
    assert audit["actor_name"] == "liaison" and json.loads(audit["before"])["subject"] == "ext-liaison"


async def test_nobody_can_unlink_someone_elses_login(db, as_user, idp):
    await ensure_providers()
    other = await bind(db, "cs_admin")
    client = await as_user("liaison")
    assert (await client.get(f"/h5/me/logins/{other}/unbind")).status_code == 404
    page = await client.get("/h5/me/logins")
    refused = await client.post(f"/h5/me/logins/{other}/unbind", data={"_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 404 and await db.fetchval("SELECT count(*) FROM idn_binding") == 1


async def test_the_last_way_to_log_in_cannot_be_unlinked(db, client, idp):
    await ensure_providers()
    first = await sso_login(client, idp, "cas", "newstaff")
    page = await client.get(first.headers["location"])
    await client.post("/auth/bind/register", data={"new_username": "newstaff", "real_name": "新教师",
                                                   "_csrf_token": csrf_from(page.text)})
    binding_id = await db.fetchval("SELECT id FROM idn_binding")
    confirm = await client.get(f"/h5/me/logins/{binding_id}/unbind")
    refused = await client.post(f"/h5/me/logins/{binding_id}/unbind", data={"_csrf_token": csrf_from(confirm.text)})
    assert refused.status_code == 303
    shown = await client.get("/h5/me/logins")
    assert "This is the only way you can log in" in shown.text
    assert await db.fetchval("SELECT count(*) FROM idn_binding") == 1


async def test_a_logged_in_user_links_another_login(db, as_user, idp):
    await ensure_providers()
    client = await as_user("liaison")
    response = await sso_login(client, idp, "oidc", "newstaff", kind="oidc")  # no ?link=1: a login
    assert response.headers["location"] == "/auth/bind"
    from tests.identity.sso_browser import idp_browser, local, oidc_authenticate, start

    client = await as_user("liaison")
    authorize = await start(client, "/auth/sso/oidc/start?link=1&next=/h5/me/logins")
    async with idp_browser(idp) as browser:
        back = await oidc_authenticate(browser, authorize, "newstaff")
    linked = await client.get(local(back))
    assert linked.status_code == 303 and linked.headers["location"] == "/h5/me/logins"
    row = await db.fetchrow('SELECT b.how, u.username FROM idn_binding b JOIN app_user u ON u.id = b."user"')
    assert dict(row) == {"how": "manual", "username": "liaison"}


async def test_admin_finds_and_removes_a_binding_with_a_reason(db, as_user, idp):
    await ensure_providers()
    binding_id = await bind(db, "liaison", subject="zhou-cas", name="周联络的CAS")
    await bind(db, "em_admin", subject="zhao-cas")
    client = await as_user("hq")
    found = await client.get("/admin/identity/bindings", params={"q": "zhou"})
    assert found.status_code == 200 and "zhou-cas" in found.text and "zhao-cas" not in found.text
    confirm = await client.get(f"/admin/identity/bindings/{binding_id}/unbind")
    assert confirm.status_code == 200
    no_reason = await client.post(f"/admin/identity/bindings/{binding_id}/unbind",
                                  data={"reason": " ", "_csrf_token": csrf_from(confirm.text)})
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
    done = await client.post(f"/admin/identity/bindings/{binding_id}/unbind",
                             data={"reason": "手机丢失，本人申请解绑", "_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM idn_binding WHERE id = $1", binding_id) == 0
    audit = await db.fetchrow("SELECT actor_name, summary FROM audit_log WHERE action = 'unbind_admin'")
    assert dict(audit) == {"actor_name": "hq", "summary": "手机丢失，本人申请解绑"}


async def test_the_binding_list_is_scoped_to_the_admins_orgs(db, as_user, idp):
    await ensure_providers()
    cs = await bind(db, "liaison", subject="cs-person")  # liaison: CS-2008-1, inside the CS college
    em = await bind(db, "em_admin", subject="em-person")
    role = await db.fetchval("INSERT INTO role (code, name, permissions, data_scope) VALUES ('bind_admin', '绑定管理',"
                             " ARRAY['sup.admin', 'idn.binding.admin'], 'subtree') RETURNING id")
    await db.execute('INSERT INTO user_role ("user", role) SELECT id, $1 FROM app_user WHERE username = \'cs_admin\'',
                     role)
    client = await as_user("cs_admin")
    listed = await client.get("/admin/identity/bindings")
    assert "cs-person" in listed.text and "em-person" not in listed.text
    assert (await client.get(f"/admin/identity/bindings/{em}/unbind")).status_code == 403
    assert (await client.get(f"/admin/identity/bindings/{cs}/unbind")).status_code == 200
    other = await as_user("bj_admin")  # no idn.binding.admin
    assert (await other.get("/admin/identity/bindings")).status_code == 403


async def test_provider_admin_masks_secrets_keeps_them_when_empty_and_audits(db, as_user, idp):
    await ensure_providers()
    oidc = await providers.by_code("oidc")
    client = await as_user("hq")
    listed = await client.get("/admin/identity/providers")
    assert listed.status_code == 200 and "统一身份认证 (OIDC)" in listed.text
    assert "tongchuang-dev-secret" not in listed.text and "••••••et" in listed.text
    edit = await client.get(f"/admin/identity/providers/{oidc.id}")
    assert "tongchuang-dev-secret" not in edit.text and "Leave empty to keep it." in edit.text
    saved = await client.post(f"/admin/identity/providers/{oidc.id}", data={
        "name": "学校统一认证", "client_id": "tongchuang", "client_secret": "", "scopes": "openid profile email",
        "cas_version": "3", "mapping": "email", "enabled": "on", "sort": "2", "_csrf_token": csrf_from(edit.text)})
    assert saved.status_code == 303, saved.text[:500]
    after = await providers.by_code("oidc")
    assert after.name == "学校统一认证" and after.client_secret == "tongchuang-dev-secret"
    audit = await db.fetchval("SELECT after FROM audit_log WHERE action = 'update' AND entity = 'idn_provider'")
    assert "tongchuang-dev-secret" not in audit

    bad = await post_form(client, "/admin/identity/providers/new", "/admin/identity/providers", {
        "code": "Bad Code", "kind": "oidc", "name": "x", "mapping": "email", "cas_version": "3"})
    assert bad.status_code == 422 and "lowercase letters" in bad.text
    created = await post_form(client, "/admin/identity/providers/new", "/admin/identity/providers", {
        "code": "school2", "kind": "cas", "name": "分校 CAS", "base_url": "https://cas.branch.example.cn/",
        "mapping": "number", "cas_version": "2", "enabled": "on"})
    assert created.status_code == 303, created.text[:500]
    school2 = await providers.by_code("school2")
    assert school2.base == "https://cas.branch.example.cn" and school2.cas_version == "2"
    client.cookies.clear()
    assert "/auth/sso/school2/start" in (await client.get("/login")).text  # offered on the login page
    client = await as_user("hq")
    disabled = await post_form(client, "/admin/identity/providers", f"/admin/identity/providers/{school2.id}/disable",
                               {})
    assert disabled.status_code == 303 and not (await providers.by_code("school2", enabled_only=False)).enabled
    assert await providers.by_code("school2") is None
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE entity = 'idn_provider' AND action = 'disable'") == 1
    client.cookies.clear()
    assert "/auth/sso/school2/start" not in (await client.get("/login")).text
    assert (await client.get("/auth/sso/school2/start")).status_code == 404
    cs = await as_user("cs_admin")
    assert (await cs.get("/admin/identity/providers")).status_code == 403

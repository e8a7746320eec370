"""Tenant admin (SMS-09): accounts and sub-accounts, members, API keys shown once and revoked with
confirmation, monitor with alerts acknowledged; all permission-guarded and scoped."""
import pytest

from app.sms import alerts, apikeys
from tests.helpers import csrf_from
from tests.sms.console_helpers import hq_account, make_account, make_operator


@pytest.mark.req("SMS-09")
async def test_accounts_sub_accounts_and_members(db, as_user):
    await make_operator("member1")
    client = await as_user("admin")
    page = await client.get("/admin/sms/accounts/new")
    token = csrf_from(page.text)
    bad = await client.post("/admin/sms/accounts", data={"name": "", "max_tps": "10", "_csrf_token": token})
    assert bad.status_code == 422 and "Enter a name." in bad.text
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    made = await client.post("/admin/sms/accounts", data={"name": "计算机学院", "org": str(cs), "max_tps": "50",
                                                          "low_balance_alert": "100", "_csrf_token": token})
    assert made.status_code == 303
    tenant = int(made.headers["location"].rsplit("/", 1)[1])
    sub = await client.post("/admin/sms/accounts", data={"name": "学院团委", "parent": str(tenant), "max_tps": "10",
                                                         "low_balance_alert": "0", "_csrf_token": token})
    sub_id = int(sub.headers["location"].rsplit("/", 1)[1])
    assert await db.fetchval("SELECT parent FROM sms_account WHERE id = $1", sub_id) == tenant
    nobody = await client.post(f"/admin/sms/accounts/{tenant}/members", data={"username": "ghost", "role": "operator",
                                                                             "_csrf_token": token})
    assert nobody.status_code == 422 and "No active user with this username." in nobody.text
    added = await client.post(f"/admin/sms/accounts/{tenant}/members", data={"username": "member1", "role": "admin",
                                                                            "_csrf_token": token})
    assert added.status_code == 303
    detail = await client.get(f"/admin/sms/accounts/{tenant}")
    assert "member1" in detail.text
    listing = await client.get("/admin/sms/accounts")
    assert "学院团委" in listing.text and "计算机学院" in listing.text
    # the new member now sends from the tenant and its sub-account, not from HQ
    member = await as_user("member1")
    form = await member.get("/admin/sms/send")
    assert "学院团委" in form.text and "同窗大学校友总会" not in form.text
    assert (await member.get("/admin/sms/accounts")).status_code == 403


@pytest.mark.req("SMS-09")
async def test_api_key_shown_once_and_revoked(db, as_user):
    account = await hq_account()
    client = await as_user("admin")
    page = await client.get("/admin/sms/api-keys")
    token = csrf_from(page.text)
    bad = await client.post("/admin/sms/api-keys", data={"account": str(account), "name": "招生系统",
                                                         "rate_per_sec": "5", "_csrf_token": token})
    assert bad.status_code == 422 and "Choose at least one scope" in bad.text
    made = await client.post("/admin/sms/api-keys", data={"account": str(account), "name": "招生系统",
                                                          "scopes": ["send", "report"], "rate_per_sec": "5",
                                                          "_csrf_token": token})
    assert made.status_code == 200 and "Copy the new key now" in made.text
    raw = made.text.split('<code class="sms-key">')[1].split("<")[0]
    assert (await apikeys.verify(raw)) is not None
    again = await client.get("/admin/sms/api-keys")
    assert raw not in again.text and raw[:12] in again.text
    key_id = await db.fetchval("SELECT id FROM sms_api_key WHERE name = '招生系统'")
    confirm = await client.get(f"/admin/sms/api-keys/{key_id}/revoke")
    assert "招生系统" in confirm.text
    done = await client.post(f"/admin/sms/api-keys/{key_id}/revoke", data={"_csrf_token": csrf_from(confirm.text)})
    assert done.status_code == 303 and (await apikeys.verify(raw)) is None
    # an operator without the permission is refused; keys of other accounts are invisible to key editors
    op = await make_operator("keyop", perms=["sup.admin", "sms.apikey.edit"])
    await make_account("别处", members=((op, "admin"),))
    other = await as_user("keyop")
    assert "招生系统" not in (await other.get("/admin/sms/api-keys")).text
    assert (await other.get(f"/admin/sms/api-keys/{key_id}/revoke")).status_code == 404
    assert (await (await as_user("liaison")).get("/admin/sms/api-keys")).status_code == 403


@pytest.mark.req("SMS-09")
async def test_monitor_shows_queue_and_alerts(db, as_user):
    alert_id = await alerts.raise_alert("queue_depth", "warning", "队列积压 12000 条")
    client = await as_user("admin")
    page = await client.get("/admin/sms/monitor")
    assert page.status_code == 200 and "队列积压 12000 条" in page.text and "simulator" in page.text
    ack = await client.post(f"/admin/sms/alerts/{alert_id}/ack", data={"_csrf_token": csrf_from(page.text)})
    assert ack.status_code == 303
    assert await db.fetchval("SELECT acknowledged_at IS NOT NULL FROM sms_alert WHERE id = $1", alert_id)
    assert "队列积压" not in (await client.get("/admin/sms/monitor")).text

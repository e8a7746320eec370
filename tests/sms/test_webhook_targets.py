"""Webhook targets (SMS-01): a webhook may only point to the public internet — refused on save with a
field message for loopback, private, link-local and other internal addresses (every address the name
resolves to), and checked again before each push, which connects to the address it checked. Hosts in
the setting `sms.webhook_allowed_hosts` are let through for local setups."""
import httpx
import pytest

from app.core import settings_store
from app.sms import webhook_targets, webhooks
from tests.sms.test_api import API, Receiver, hq, key

PUBLIC = "93.184.215.14"


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    """The sandbox has no DNS: names resolve to what the test says."""

    async def resolve(host, _port):
        if host not in answers:
            raise OSError("Name or service not known")
        return answers[host]

    monkeypatch.setattr(webhook_targets, "resolve", resolve)


@pytest.mark.req("SMS-01")
@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
    "http://192.168.1.10/hook", "http://172.16.0.1/hook", "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/hook", "http://[::ffff:127.0.0.1]/hook", "http://[fe80::1]/hook", "http://100.64.0.1/hook",
    "http://224.0.0.1/hook", "https://mixed.example/hook", "http://internal.example/hook",
])
async def test_internal_addresses_are_refused_on_save(db, client, monkeypatch, url):
    fake_dns(monkeypatch, {"mixed.example": [PUBLIC, "10.0.0.7"], "internal.example": ["fd00::5"],
                           "localhost": ["127.0.0.1", "::1"]})
    _id, auth = await key(db)
    refused = await client.post(f"{API}/webhooks", headers=auth, json={"url": url})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "invalid" and body["field"] == "url"
    assert body["message"].startswith("Webhooks must point to the public internet:"), body
    assert await db.fetchval("SELECT count(*) FROM sms_webhook WHERE account = $1", await hq(db)) == 0


@pytest.mark.req("SMS-01")
async def test_schemes_and_unknown_hosts_are_refused_public_ones_accepted(db, client, monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": [PUBLIC, "2606:2800:220:1::1"]})
    _id, auth = await key(db)
    for url, message in (("ftp://hooks.example.com/x", "Enter an http(s) address."),
                         ("file:///etc/passwd", "Enter an http(s) address."),
                         ("http://:80/x", "Enter an http(s) address."),
                         ("http://nowhere.invalid/x", "The host nowhere.invalid cannot be resolved.")):
        refused = await client.post(f"{API}/webhooks", headers=auth, json={"url": url})
        assert refused.status_code == 422 and refused.json()["message"] == message, (url, refused.text)
    created = await client.post(f"{API}/webhooks", headers=auth, json={"url": "https://hooks.example.com/sms"})
    assert created.status_code == 201, created.text


@pytest.mark.req("SMS-01")
async def test_allowed_hosts_setting_lets_a_local_receiver_through(db, client, as_user):
    _id, auth = await key(db)
    async with Receiver() as receiver:
        assert (await client.post(f"{API}/webhooks", headers=auth, json={"url": receiver.url})).status_code == 422
        await settings_store.put(webhook_targets.SETTING, "localhost, 127.0.0.1")
        assert (await client.post(f"{API}/webhooks", headers=auth, json={"url": receiver.url})).status_code == 201
    admin = await as_user("admin")
    page = await admin.get("/admin/settings")
    assert 'name="sms_webhook_allowed_hosts"' in page.text and "localhost, 127.0.0.1" in page.text


async def _delivery(db, url: str) -> int:
    hook = await db.fetchval("INSERT INTO sms_webhook (account, url, secret, events) VALUES ($1, $2, 'whsec_t',"
                             " ARRAY['report']::varchar[]) RETURNING id", await hq(db), url)
    return await db.fetchval("INSERT INTO sms_webhook_delivery (webhook, event, payload) VALUES ($1, 'report',"
                             " '{\"event\": \"report\"}'::jsonb) RETURNING id", hook)


@pytest.mark.req("SMS-01")
async def test_push_checks_the_address_again_and_connects_to_it(db, monkeypatch):
    async with Receiver() as receiver:
        # saved while the name pointed outside; now it answers with loopback (DNS rebinding)
        port = receiver.url.split(":")[2].split("/")[0]
        fake_dns(monkeypatch, {"rebind.example": ["127.0.0.1"]})
        delivery = await _delivery(db, f"http://rebind.example:{port}/hook")
        assert await webhooks.push_due() == 0
        row = await db.fetchrow("SELECT * FROM sms_webhook_delivery WHERE id = $1", delivery)
        assert row["status"] == "pending" and row["last_error"].startswith("Refused: Webhooks must point"), row
        assert receiver.hits == []

    fake_dns(monkeypatch, {"hooks.example.com": [PUBLIC]})
    await db.execute("DELETE FROM sms_webhook")
    await _delivery(db, "https://hooks.example.com/sms?x=1")
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as mock:
        assert await webhooks.push_due(client=mock) == 1
    (sent,) = seen
    assert str(sent.url) == f"https://{PUBLIC}/sms?x=1"  # the checked address, not a second lookup
    assert sent.headers["host"] == "hooks.example.com" and sent.extensions["sni_hostname"] == "hooks.example.com"

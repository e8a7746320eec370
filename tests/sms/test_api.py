"""HTTP API (SMS-01): API keys with scopes and rate limits, single/batch/template sends, status, pulled
reports and replies, signed webhooks with retries, JSON errors, the OpenAPI document and its page."""
import asyncio
import json

import pytest

from app.core import settings_store
from app.sms import apikeys, webhooks
from tests.sms.conftest import wait_for

API = "/api/sms/v1"


async def hq(db) -> int:
    return await db.fetchval("SELECT id FROM sms_account WHERE name = '同窗大学校友总会'")


async def key(db, scopes=("send", "report", "mo"), rate=100) -> tuple[int, dict]:
    account = await hq(db)
    row, raw = await apikeys.create_key(account, "crm", list(scopes), rate)
    return row["id"], {"Authorization": f"Bearer {raw}"}


@pytest.mark.req("SMS-01")
async def test_batch_send_status_and_json_errors(db, client):
    _id, auth = await key(db)
    sent = await client.post(f"{API}/batches", headers=auth,
                             json={"to": ["13800138000", "+86 138 0013 8001", "12345", "13800138000"],
                                   "text": "【同窗】年会本周六举行"})
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert body["accepted"] == 2 and body["segments"] == 2 and body["cost"] == 2
    assert {r["reason"] for r in body["rejected"]} == {"Not a valid mobile number", "Duplicate number"}
    batch = (await client.get(f"{API}/batches/{body['batch_id']}", headers=auth)).json()
    assert batch["statuses"] == {"queued": 2} and batch["rejected"] == 2
    message_id = await db.fetchval("SELECT min(id) FROM sms_message WHERE batch = $1", body["batch_id"])
    one = (await client.get(f"{API}/messages/{message_id}", headers=auth)).json()
    assert one["to"] == "13800138000" and one["status"] == "queued"

    single = await client.post(f"{API}/messages", headers=auth, json={"to": "13900139000", "text": "hi"})
    assert single.status_code == 202 and single.json()["accepted"] == 1

    bad = await client.post(f"{API}/messages", headers=auth, json={"to": "13900139000"})
    assert bad.status_code == 422 and bad.json() == {"code": "invalid", "message": "Enter the message text.",
                                                     "field": "text"}
    blocked = await client.post(f"{API}/messages", headers=auth, json={"to": "13900139000", "text": "代开发票"})
    assert blocked.status_code == 422 and "发票" in blocked.json()["message"]
    nobody = await client.post(f"{API}/batches", headers=auth, json={"to": ["1"], "text": "x"})
    assert nobody.status_code == 422 and nobody.json()["code"] == "no_valid_numbers"
    assert nobody.json()["rejected"] == [{"to": "1", "reason": "Not a valid mobile number"}]
    broken = await client.post(f"{API}/messages", headers={**auth, "Content-Type": "application/json"},
                               content=b"{nope")
    assert broken.status_code == 400 and broken.json()["code"] == "bad_json"
    missing = await client.get(f"{API}/messages/999999999", headers=auth)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.req("SMS-01")
async def test_template_and_per_number_params(db, client):
    _id, auth = await key(db)
    account = await hq(db)
    template = await db.fetchval("SELECT id FROM sms_template WHERE account = $1 AND name = '活动通知'", account)
    sent = await client.post(f"{API}/template-messages", headers=auth, json={
        "template_id": template, "to": ["13800138000"], "params": {"name": "张三", "event": "年会", "date": "12月1日"}})
    assert sent.status_code == 202, sent.text
    text = await db.fetchval("SELECT text FROM sms_message WHERE batch = $1", sent.json()["batch_id"])
    assert text == "【同窗】张三校友您好，年会将于12月1日举行，欢迎参加。"
    per = await client.post(f"{API}/batches", headers=auth, json={"template_id": template, "params": {
        "event": "返校日", "date": "5月20日"}, "messages": [{"to": "13800138001", "params": {"name": "李四"}},
                                                          {"to": "13800138002", "params": {"name": ""}}]})
    assert per.status_code == 202 and per.json()["accepted"] == 1
    assert "{name}" in per.json()["rejected"][0]["reason"]
    texts = await db.fetch("SELECT text FROM sms_message WHERE batch = $1", per.json()["batch_id"])
    assert texts[0]["text"].startswith("【同窗】李四校友您好，返校日")
    draft = await db.fetchval("INSERT INTO sms_template (account, name, content) VALUES ($1, 'd', 'x') RETURNING id",
                              account)
    refused = await client.post(f"{API}/template-messages", headers=auth, json={"template_id": draft,
                                                                                "to": "13800138000"})
    assert refused.status_code == 422 and refused.json()["message"] == "The template is not approved yet."


@pytest.mark.req("SMS-01")
async def test_keys_scopes_revocation_rate_limit_and_balance(db, client):
    assert (await client.post(f"{API}/messages", json={"to": "13800138000", "text": "x"})).json()["code"] == \
        "unauthorized"
    wrong = await client.post(f"{API}/messages", headers={"Authorization": "Bearer tcsms_nope"}, json={})
    assert wrong.status_code == 401
    key_id, report_only = await key(db, scopes=("report",))
    denied = await client.post(f"{API}/messages", headers=report_only, json={"to": "13800138000", "text": "x"})
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    await apikeys.revoke_key(key_id)
    assert (await client.get(f"{API}/reports", headers=report_only)).status_code == 401

    _id, slow = await key(db, rate=2)
    codes = [(await client.get(f"{API}/reports", headers=slow)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]

    _id, auth = await key(db)
    account = await hq(db)
    await db.execute("UPDATE sms_account SET balance = 1 WHERE id = $1", account)
    poor = await client.post(f"{API}/batches", headers=auth, json={"to": ["13800138000", "13800138001"], "text": "x"})
    assert poor.status_code == 402 and poor.json()["code"] == "insufficient_balance"
    assert poor.json()["need"] == 2 and poor.json()["balance"] == 1
    assert await db.fetchval("SELECT count(*) FROM sms_message WHERE account = $1", account) == 0


@pytest.mark.req("SMS-01")
async def test_reports_and_mo_pulled_by_cursor(db, client, sim, dispatcher):
    _id, auth = await key(db)
    sent = (await client.post(f"{API}/batches", headers=auth, json={"to": ["13800138000", "13800138001"],
                                                                     "text": "cursor"})).json()
    first = await wait_for(lambda: _reports(client, auth, 0, 2))
    assert {r["status"] for r in first["reports"]} == {"delivered"}
    assert {r["batch_id"] for r in first["reports"]} == {sent["batch_id"]}
    again = (await client.get(f"{API}/reports", headers=auth, params={"cursor": first["next_cursor"]})).json()
    assert again["reports"] == [] and again["next_cursor"] == first["next_cursor"]

    await sim.inject_mo("13800138000", "106", "收到，谢谢")
    mo = await wait_for(lambda: _mo(client, auth))
    assert mo["mo"][0]["text"] == "收到，谢谢" and mo["mo"][0]["from"] == "13800138000"
    assert mo["mo"][0]["reply_to"] is not None


async def _reports(client, auth, cursor, n):
    body = (await client.get(f"{API}/reports", headers=auth, params={"cursor": cursor})).json()
    return body if len(body["reports"]) >= n else None


async def _mo(client, auth):
    body = (await client.get(f"{API}/mo", headers=auth)).json()
    return body if body["mo"] else None


class Receiver:
    """A real HTTP server on loopback standing in for the customer's webhook endpoint."""

    def __init__(self, fail_first: int = 0):
        self.fail_first, self.hits = fail_first, []

    async def handle(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        self.hits.append((headers, body))
        status = b"500 Oops" if len(self.hits) <= self.fail_first else b"200 OK"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"
        return self

    async def __aexit__(self, *exc):
        self.server.close()


@pytest.mark.req("SMS-01")
async def test_webhook_pushes_signed_reports_and_retries(db, client, sim, dispatcher):
    _id, auth = await key(db)
    await settings_store.put("sms.webhook_allowed_hosts", "127.0.0.1")  # the receiver is local
    async with Receiver(fail_first=1) as receiver:
        created = await client.post(f"{API}/webhooks", headers=auth, json={"url": receiver.url, "events": ["report"]})
        assert created.status_code == 201
        secret = created.json()["secret"]
        await client.post(f"{API}/messages", headers=auth, json={"to": "13800138000", "text": "hook"})
        await wait_for(lambda: len(receiver.hits) >= 1, timeout=10)
        row = await db.fetchrow("SELECT * FROM sms_webhook_delivery")
        assert row["status"] == "pending" and row["last_error"] == "HTTP 500" and row["attempts"] == 1
        await db.execute("UPDATE sms_webhook_delivery SET next_at = now()")  # skip the 10 s backoff
        await wait_for(lambda: len(receiver.hits) >= 2, timeout=10)
        headers, body = receiver.hits[-1]
        assert webhooks.verify_signature(secret, body, headers["x-tc-signature"])
        assert not webhooks.verify_signature("whsec_other", body, headers["x-tc-signature"])
        payload = json.loads(body)
        assert payload["event"] == "report" and payload["status"] == "delivered" and payload["phone"] == "13800138000"
        await wait_for(lambda: db.fetchval("SELECT status = 'done' FROM sms_webhook_delivery"))


@pytest.mark.req("SMS-01")
async def test_openapi_document_and_docs_page(client):
    doc = (await client.get(f"{API}/openapi.json")).json()
    assert doc["openapi"].startswith("3.") and "/batches" in doc["paths"] and "/reports" in doc["paths"]
    post = doc["paths"]["/batches"]["post"]
    assert post["requestBody"]["content"]["application/json"]["example"]["to"]
    assert post["responses"]["202"]["content"]["application/json"]["example"]["batch_id"]
    page = await client.get(f"{API}/docs")
    assert page.status_code == 200 and "POST /template-messages" in page.text and "<script" not in page.text

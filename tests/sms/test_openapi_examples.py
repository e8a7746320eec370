"""OpenAPI document of the SMS API (SMS-01): every operation has a request-body schema (when it takes a
body) and examples, and every example, sent as written with a key of the demo account "接口示例",
works against the seeded database and answers what the document shows."""
import pytest

from app.sms import apikeys, webhook_targets
from app.sms.demo import EXAMPLE_ACCOUNT
from app.sms.routes.api import openapi
from tests.sms.test_api import API


def _contains(actual, example) -> bool:
    """The example is part of the answer: same keys and values, example list items found in the answer."""
    if isinstance(example, dict):
        return isinstance(actual, dict) and all(k in actual and _contains(actual[k], v) for k, v in example.items())
    if isinstance(example, list):
        return isinstance(actual, list) and all(any(_contains(a, e) for a in actual) for e in example)
    return actual == example


@pytest.mark.req("SMS-01")
async def test_every_example_works_against_the_seeded_database(db, client, monkeypatch):
    async def public(_host, _port):  # example.com, without DNS in the sandbox
        return ["93.184.215.14"]

    monkeypatch.setattr(webhook_targets, "resolve", public)
    account = await db.fetchval("SELECT id FROM sms_account WHERE name = $1", EXAMPLE_ACCOUNT)
    _row, raw = await apikeys.create_key(account, "docs", ["send", "report", "mo"], 100)
    auth = {"Authorization": f"Bearer {raw}"}
    doc = openapi.document()
    for method, path, *_rest in openapi.OPERATIONS:
        op = doc["paths"][path][method]
        url = path.replace("{id}", str(next((p["example"] for p in op.get("parameters", []) if p["in"] == "path"), "")))
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if method == "post":
            assert body["schema"]["type"] == "object" and body["schema"]["properties"], path
        (status, answer), = [(int(k), v) for k, v in op["responses"].items() if int(k) < 300]
        query = {"limit": 1} if path in ("/reports", "/mo") else None
        got = await client.request(method.upper(), API + url, headers=auth, params=query,
                                   json=body["example"] if body else None)
        assert got.status_code == status, (method, path, got.text)
        example = answer["content"]["application/json"]["example"]
        if method == "get" or method == "delete":
            assert _contains(got.json(), example), (path, got.json(), example)
        else:  # new ids and secrets differ; the outcome must not
            assert set(got.json()) == set(example), (path, got.json())
            assert {k: v for k, v in got.json().items() if k not in ("batch_id", "id", "secret")} == \
                   {k: v for k, v in example.items() if k not in ("batch_id", "id", "secret")}, path

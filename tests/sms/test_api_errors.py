"""HTTP API errors (SMS-01): ordinary client mistakes get the documented JSON error `{code, message,
field}` with a 4xx status — wrong types, NUL characters, numbers out of range, ids beyond their
columns, unknown addresses and methods — and an unexpected failure is a JSON 500, never the HTML page."""
import pytest

from tests.sms.test_api import API, hq, key

TO = "13800138000"


async def _invalid(response, field: str) -> dict:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and body["message"], body
    return body


@pytest.mark.req("SMS-01")
async def test_wrong_types_and_characters_are_field_errors(db, client):
    _id, auth = await key(db)
    body = await _invalid(await client.post(f"{API}/messages", headers=auth, json={"to": TO, "text": 123}), "text")
    assert body["message"] == "“text” must be a string."
    await _invalid(await client.post(f"{API}/messages", headers=auth, json={"to": TO, "text": "a\x00b"}), "text")
    await _invalid(await client.post(f"{API}/messages", headers=auth,
                                     json={"to": TO, "text": "hi", "sender": "1\x00"}), "sender")
    await _invalid(await client.post(f"{API}/messages", headers=auth, json={"to": 13800138000, "text": "hi"}), "to")
    surrogate = b'{"to": "13800138000", "text": "\\ud800"}'
    await _invalid(await client.post(f"{API}/messages", headers={**auth, "Content-Type": "application/json"},
                                     content=surrogate), "text")
    huge = b'{"template_id": 1e400, "to": ["13800138000"]}'
    await _invalid(await client.post(f"{API}/template-messages", headers={**auth, "Content-Type": "application/json"},
                                     content=huge), "template_id")
    body = await _invalid(await client.post(f"{API}/template-messages", headers=auth,
                                            json={"template_id": 2**31, "to": [TO]}), "template_id")
    assert "between 1 and 2147483647" in body["message"]
    await _invalid(await client.post(f"{API}/template-messages", headers=auth,
                                     json={"template_id": 1, "to": [TO], "params": "x"}), "params")
    await _invalid(await client.post(f"{API}/batches", headers=auth,
                                     json={"template_id": 1, "messages": [{"to": 5}]}), "messages[0].to")
    await _invalid(await client.post(f"{API}/batches", headers=auth, json={"to": "138", "text": "x"}), "to")
    await _invalid(await client.post(f"{API}/messages", headers=auth, json={
        "to": TO, "text": "x", "scheduled_at": "9999-12-31T23:00:00-14:00"}), "scheduled_at")
    await _invalid(await client.post(f"{API}/messages", headers=auth, json={"to": TO, "text": "x", "scheduled_at": ""}),
                   "scheduled_at")
    await _invalid(await client.post(f"{API}/webhooks", headers=auth, json={"url": ["x"]}), "url")
    await _invalid(await client.post(f"{API}/webhooks", headers=auth,
                                     json={"url": "https://example.com/h", "events": ["all"]}), "events[0]")
    nothing = await client.post(f"{API}/messages", headers={**auth, "Content-Type": "application/json"}, content=b"[]")
    assert nothing.status_code == 400 and nothing.json()["code"] == "bad_json"
    assert await db.fetchval("SELECT count(*) FROM sms_message WHERE account = $1", await hq(db)) == 0


@pytest.mark.req("SMS-01")
async def test_huge_ids_and_page_numbers(db, client):
    _id, auth = await key(db)
    for path in (f"/messages/{2**63}", f"/messages/{2**64}", f"/batches/{2**31}", f"/batches/{2**63}", "/batches/0"):
        missing = await client.get(f"{API}{path}", headers=auth)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found", (path, missing.text)
    gone = await client.delete(f"{API}/webhooks/{2**31}", headers=auth)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    for params, field in (({"cursor": 2**63}, "cursor"), ({"cursor": -1}, "cursor"), ({"limit": 2**63}, "limit"),
                          ({"limit": "many"}, "limit"), ({"cursor": "9" * 5000}, "cursor")):
        await _invalid(await client.get(f"{API}/reports", headers=auth, params=params), field)
        await _invalid(await client.get(f"{API}/mo", headers=auth, params=params), field)
    ok = await client.get(f"{API}/reports", headers=auth, params={"cursor": 2**63 - 1, "limit": 1000})
    assert ok.status_code == 200 and ok.json() == {"reports": [], "next_cursor": 2**63 - 1}


@pytest.mark.req("SMS-01")
async def test_unknown_addresses_methods_and_failures_answer_json(db, client, monkeypatch):
    _id, auth = await key(db)
    nowhere = await client.get(f"{API}/nothing-here", headers=auth)
    assert nowhere.status_code == 404 and nowhere.headers["content-type"].startswith("application/json")
    assert nowhere.json()["code"] == "not_found" and nowhere.json()["message"]
    wrong = await client.put(f"{API}/messages", headers=auth, json={})
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]
    not_a_number = await client.get(f"{API}/messages/abc", headers=auth)
    assert 400 <= not_a_number.status_code < 500 and not_a_number.json()["code"]

    from app.sms import reports

    async def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(reports, "message", broken)
    failed = await client.get(f"{API}/messages/1", headers=auth)
    assert failed.status_code == 500 and failed.json() == {"code": "server_error",
                                                           "message": "Something went wrong on our side."}
    page = await client.get("/admin/nothing-here")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")

"""IDV-01: real-name verification through the provider adapter, against the built-in provider simulator over real
HTTP (fixture `idp`): the ID checksum is checked before any call, each provider answer becomes a stored,
audited result with a clear message, our own daily limit and the provider's limit and failures are handled."""
import io
import json
import socket

import httpx
import pytest
from PIL import Image

from app.core import id_numbers, settings_store
from app.core.forms import Invalid
from app.core.storage import storage
from app.identity import realname
from tests.helpers import csrf_from

GOOD_ID = id_numbers.complete("11010519900307123")
MISMATCH_ID = id_numbers.complete("11010519900307999")  # the provider's "name does not match" sequence
PAGE = "/h5/identity/realname"


def image(size: int, grey: int, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (grey, grey, grey)).save(out, fmt)
    return out.getvalue()


FACE = image(200, 150)  # the simulator sees a face: PASS
DARK = image(200, 0)  # too dark to match the photo on record: FACE_MISMATCH
TINY = image(10, 150, "PNG")  # too small to hold a face: NO_FACE


def provider_calls(idp: str) -> int:
    return httpx.get(f"{idp}/_sim/realname/calls").json()["calls"]


async def submit(client, name: str, id_number: str, photo: bytes, filename: str = "me.jpg", **extra):
    page = await client.get(PAGE)
    assert page.status_code == 200
    return await client.post(PAGE, data={"_csrf_token": csrf_from(page.text), "name": name, "id_number": id_number,
                                         **extra},
                             files={"photo": (filename, io.BytesIO(photo), "image/jpeg")})


async def result_page(client, response) -> str:
    assert response.status_code == 303, response.text[:500]
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    return page.text


@pytest.mark.req("IDV-01")
async def test_wrong_checksum_is_refused_before_any_provider_call_and_audited(as_user, db, idp):
    client = await as_user("hq")
    before = provider_calls(idp)
    bad = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
    response = await submit(client, "张三", bad, FACE)
    assert response.status_code == 422 and "its last character does not match" in response.text
    assert 'value="张三"' in response.text and f'value="{bad}"' in response.text  # what was typed is kept
    assert provider_calls(idp) == before
    assert not await db.fetchval("SELECT count(*) FROM idn_realname")
    entry = await db.fetchrow("SELECT actor_name, summary FROM audit_log WHERE action = 'realname.refused'")
    assert entry["actor_name"] == "hq" and "checksum" in entry["summary"] and bad not in entry["summary"]
    response = await submit(client, "张三", "11010519900230123X", FACE)  # 30 February
    assert response.status_code == 422 and "not a real date" in response.text
    assert provider_calls(idp) == before


@pytest.mark.req("IDV-01")
async def test_pass_is_stored_with_the_photo_kept_until_the_retention(as_user, db, idp):
    client = await as_user("hq")
    hq = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    before = provider_calls(idp)
    page = await result_page(client, await submit(client, "张三", GOOD_ID.lower(), FACE, next="/h5/mall"))
    assert "Your real-name check passed." in page and 'href="/h5/mall"' in page
    assert provider_calls(idp) == before + 1
    row = await db.fetchrow("SELECT *, extract(epoch FROM image_delete_after - created_at) / 3600 AS hours"
                            " FROM idn_realname WHERE \"user\" = $1", hq)
    assert row["result"] == "passed" and row["id_number"] == GOOD_ID and 80 <= row["score"] <= 99
    assert row["provider_ref"].startswith("RN")
    assert row["image_key"].startswith(f"identity/faces/{hq}/") and row["image_key"].endswith(".jpg")
    assert storage().get(row["image_key"]) == FACE
    assert 71.9 < row["hours"] < 72.1
    entry = await db.fetchrow("SELECT summary, after FROM audit_log WHERE action = 'realname.check'")
    after = json.loads(entry["after"])
    assert entry["summary"].startswith("passed") and after["id_number"] == "1101**********" + GOOD_ID[-4:]
    assert GOOD_ID not in entry["after"]
    assert (await realname.latest_passed(hq))["id"] == row["id"]
    assert (await realname.passed_for(hq, GOOD_ID.lower()))["id"] == row["id"]
    assert await realname.passed_for(hq, MISMATCH_ID) is None
    listing = await client.get(PAGE)
    assert "Your real-name check passed on" in listing.text and f'{PAGE}/{row["id"]}' in listing.text


@pytest.mark.req("IDV-01")
@pytest.mark.parametrize(("id_number", "photo", "reason", "message"), [
    (MISMATCH_ID, FACE, "name_id_mismatch", "The name and the ID number do not match"),
    (GOOD_ID, TINY, "no_face", "No face could be found in the photo"),
    (GOOD_ID, DARK, "face_mismatch", "does not match the photo on record"),
])
async def test_provider_refusals_are_stored_with_a_clear_message(as_user, db, idp, id_number, photo, reason,
                                                                  message):
    client = await as_user("hq")
    page = await result_page(client, await submit(client, "张三", id_number, photo))
    assert message in page and "Not passed" in page and "Try again" in page
    row = await db.fetchrow("SELECT result, reason, image_key FROM idn_realname")
    assert row["result"] == "failed" and row["reason"] == reason and row["image_key"]
    hq = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    assert await realname.latest_passed(hq) is None


@pytest.mark.req("IDV-01")
async def test_photos_that_are_not_jpeg_or_png_or_too_big_are_refused_before_any_call(as_user, db, idp):
    client = await as_user("hq")
    before = provider_calls(idp)
    gif = io.BytesIO()
    Image.new("RGB", (200, 200), (150, 150, 150)).save(gif, "GIF")
    for data in (b"not an image at all", gif.getvalue()):
        response = await submit(client, "张三", GOOD_ID, data)
        assert response.status_code == 422 and "must be a JPEG or PNG image" in response.text
    with pytest.raises(Invalid, match="larger than 5 MB"):
        realname.photo_extension(FACE + b"\0" * (5 * 1024 * 1024))
    assert provider_calls(idp) == before and not await db.fetchval("SELECT count(*) FROM idn_realname")


@pytest.mark.req("IDV-01")
async def test_our_daily_limit_per_user(as_user, db, idp):
    client = await as_user("hq")
    for _ in range(3):
        await result_page(client, await submit(client, "张三", MISMATCH_ID, FACE))
    before = provider_calls(idp)
    response = await submit(client, "张三", GOOD_ID, FACE)
    assert response.status_code == 422 and "You have used the 3 real-name checks allowed in 24 hours" in response.text
    assert provider_calls(idp) == before
    assert await db.fetchval("SELECT count(*) FROM idn_realname") == 3
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'realname.refused'"
                             " AND summary LIKE 'daily limit%'") == 1
    await db.execute("UPDATE idn_realname SET created_at = created_at - interval '25 hours'")
    await result_page(client, await submit(client, "张三", GOOD_ID, FACE))  # a day later


@pytest.mark.req("IDV-01")
async def test_provider_daily_limit_is_a_clear_result(as_user, db, idp):
    client = await as_user("hq")
    limit = httpx.get(f"{idp}/_sim/realname/calls").json()["daily_limit"]
    httpx.post(f"{idp}/_sim/realname", json={"daily_limit": 0}).raise_for_status()
    try:
        page = await result_page(client, await submit(client, "张三", GOOD_ID, FACE))
    finally:
        httpx.post(f"{idp}/_sim/realname", json={"daily_limit": limit}).raise_for_status()
    assert "reached its limit for today" in page
    row = await db.fetchrow("SELECT result, reason, image_key FROM idn_realname")
    assert row == {"result": "limited", "reason": "provider_limit", "image_key": ""}
    hq = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    assert await realname.checks_left(hq) == 3  # the provider's refusal does not use up one of ours


@pytest.mark.req("IDV-01")
async def test_provider_unreachable_or_wrong_secret_is_an_error_result_not_a_crash(as_user, db, idp):
    client = await as_user("hq")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    await settings_store.put(realname.PROVIDER_URL, f"http://127.0.0.1:{closed}")
    page = await result_page(client, await submit(client, "张三", GOOD_ID, FACE))
    assert "could not be reached, so nothing was decided" in page and "Service error" in page
    row = await db.fetchrow("SELECT result, reason, image_key FROM idn_realname")
    assert row["result"] == "error" and "unreachable" in row["reason"] and row["image_key"] == ""

    await settings_store.put(realname.PROVIDER_URL, "")
    await settings_store.put(realname.PROVIDER_SECRET, "not-the-secret")
    await result_page(client, await submit(client, "张三", GOOD_ID, FACE))
    reasons = [r["reason"] for r in await db.fetch("SELECT reason FROM idn_realname ORDER BY id")]
    assert "401" in reasons[-1]
    hq = await db.fetchval("SELECT id FROM app_user WHERE username = 'hq'")
    assert await realname.checks_left(hq) == 3


@pytest.mark.req("IDV-01")
async def test_results_are_private_to_their_user(as_user, db, idp):
    client = await as_user("hq")
    await result_page(client, await submit(client, "张三", GOOD_ID, FACE))
    check_id = await db.fetchval("SELECT id FROM idn_realname")
    other = await as_user("cs_admin")
    assert (await other.get(f"{PAGE}/{check_id}")).status_code == 404
    assert "No checks yet." in (await other.get(PAGE)).text

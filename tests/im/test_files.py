"""Images and files in the messenger (IM-01, IM-02, IM-11) through the phone pages and the services: an image
and a file sent and fetched by a member, a stranger's 404, the size limit (text kept, audited), content
sniffing, byte ranges, the group files page and the retention purge."""
import io

import pytest
from jinja2.filters import do_filesizeformat
from PIL import Image

from app.core import settings_store
from app.core.pagination import PageRequest
from app.core.storage import storage
from app.im import attachments, conversations, messages
from tests.helpers import csrf_from
from tests.im.helpers import actor_of


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def pdf(size: int = 300_000) -> bytes:
    return b"%PDF-1.4\n" + bytes(range(256)) * (size // 256) + b"\n%%EOF\n"


async def _chunks(data: bytes, size: int = 65536):
    for i in range(0, len(data), size):
        yield data[i:i + size]


async def _form(client, conversation: int) -> dict:
    page = await client.get(f"/h5/im/c/{conversation}")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    ref = page.text.split('name="client_ref" value="')[1].split('"')[0]
    return {"_csrf_token": csrf_from(page.text), "client_ref": ref}


async def _direct(me: str = "alumnus", other: str = "hq") -> int:
    return await conversations.direct(await actor_of(me), (await actor_of(other)).id)


@pytest.mark.req("IM-01")
async def test_image_and_file_are_sent_and_downloaded_by_a_member(as_user, db):
    conversation = await _direct()
    client = await as_user("alumnus")
    form = await _form(client, conversation)
    image = png()
    sent = await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": "返校合影"},
                             files={"file": ("合影.png", image, "image/png")})
    assert sent.status_code == 303
    assert (await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": "返校合影"},
                              files={"file": ("合影.png", image, "image/png")})).status_code == 303  # posted twice
    rows = await db.fetch("SELECT id, kind, body, attachment->>'name' AS name, (attachment->>'size')::int AS size,"
                          " attachment->>'key' AS key FROM im_message WHERE conversation = $1 ORDER BY id",
                          conversation)
    assert [(r["kind"], r["body"]) for r in rows] == [("text", "返校合影"), ("image", "合影.png")]
    picture = rows[1]
    assert picture["size"] == len(image) and picture["key"].startswith("im/")
    assert storage().get(picture["key"]) == image

    form = await _form(client, conversation)
    report = pdf()
    assert (await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": ""},
                              files={"file": ("年会议程.pdf", report, "application/pdf")})).status_code == 303
    file_id = await db.fetchval("SELECT id FROM im_message WHERE kind = 'file' AND conversation = $1", conversation)
    assert await db.fetchval("SELECT count(*) FROM im_message WHERE conversation = $1", conversation) == 3

    bob = await as_user("hq")
    page = await bob.get(f"/h5/im/c/{conversation}")
    assert f'<img src="/h5/im/files/{picture["id"]}"' in page.text and 'alt="合影.png"' in page.text
    assert f'href="/h5/im/files/{file_id}?download=1"' in page.text and "年会议程.pdf" in page.text
    assert do_filesizeformat(len(report)) in page.text  # the size is shown
    shown = await bob.get(f"/h5/im/files/{picture['id']}")
    assert shown.status_code == 200 and shown.content == image
    assert shown.headers["content-type"] == "image/png" and shown.headers["content-disposition"].startswith("inline")
    saved = await bob.get(f"/h5/im/files/{file_id}?download=1")
    assert saved.status_code == 200 and saved.content == report
    assert saved.headers["content-disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E5%B9%B4" in saved.headers["content-disposition"]
    listing = (await conversations.chat_list((await actor_of("hq")).id, PageRequest())).items
    assert listing[0]["last_body"] == "年会议程.pdf"  # the chat list previews the newest message: the file's name


@pytest.mark.req("IM-01", "IM-11")
async def test_a_stranger_gets_404_for_a_file_and_it_is_audited(as_user, db):
    hq, cs = await actor_of("hq"), await actor_of("cs_admin")
    theirs = await conversations.direct(hq, cs.id)
    attachment = await attachments.store(hq, theirs, "私照.png", _chunks(png()))
    message = await messages.send_attachment(hq, theirs, "image", attachment)
    client = await as_user("alumnus")
    assert (await client.get(f"/h5/im/files/{message}")).status_code == 404
    assert (await client.get(f"/h5/im/files/{message + 999}")).status_code == 404
    assert (await client.get(f"/h5/im/c/{theirs}/files")).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity LIKE 'im_%'") >= 3
    form = await _form(client, await _direct())
    posted = await client.post(f"/h5/im/c/{theirs}/send", data=form,
                               files={"file": ("x.png", png(), "image/png")})
    assert posted.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM im_message WHERE conversation = $1", theirs) == 1
    # a recalled image is gone from storage and from the download link
    await messages.recall(hq, message)
    assert not storage().exists(attachment["key"])
    assert (await (await as_user("hq")).get(f"/h5/im/files/{message}")).status_code == 404


@pytest.mark.req("IM-01")
async def test_a_file_over_the_limit_is_refused_text_kept_and_audited(as_user, db):
    await settings_store.put("im.file_max_mb", 1)
    conversation = await _direct()
    client = await as_user("alumnus")
    form = await _form(client, conversation)
    big = pdf(1024 * 1024 + 4096)
    refused = await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": "会议纪要请查收"},
                                files={"file": ("纪要.pdf", big, "application/pdf")})
    assert refused.status_code == 422
    assert "The file is larger than 1 MB." in refused.text and "会议纪要请查收" in refused.text
    assert await db.fetchval("SELECT count(*) FROM im_message WHERE conversation = $1", conversation) == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'im_message'"
                             " AND summary LIKE 'file refused: 纪要.pdf%'") == 1
    # htmx gets the form back with the message and the text
    again = await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": "会议纪要请查收"},
                              files={"file": ("纪要.pdf", big, "application/pdf")}, headers={"hx-request": "true"})
    assert again.status_code == 422 and 'id="im-send"' in again.text and "会议纪要请查收" in again.text
    # images have their own (smaller) limit; within both limits it goes through
    await settings_store.put("im.image_max_mb", 1)
    assert await attachments.limits() == (1, 1)
    ok = await client.post(f"/h5/im/c/{conversation}/send", data=form,
                           files={"file": ("纪要.pdf", pdf(200_000), "application/pdf")})
    assert ok.status_code == 303
    assert await db.fetchval("SELECT count(*) FROM im_message WHERE kind = 'file'") == 1
    leftovers = [p for p in storage().root.rglob("*.part")] if hasattr(storage(), "root") else []
    assert leftovers == []  # the refused upload left nothing behind


@pytest.mark.req("IM-01")
async def test_content_is_sniffed_an_exe_renamed_jpg_is_refused(as_user, db):
    conversation = await _direct()
    client = await as_user("alumnus")
    form = await _form(client, conversation)
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 5000
    refused = await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": "看图"},
                                files={"file": ("风景.jpg", exe, "image/jpeg")})
    assert refused.status_code == 422 and "does not match its .jpg name" in refused.text and "看图" in refused.text
    not_allowed = await client.post(f"/h5/im/c/{conversation}/send", data=form,
                                    files={"file": ("setup.exe", exe, "application/octet-stream")})
    assert not_allowed.status_code == 422 and "Files of type .exe are not accepted" in not_allowed.text
    assert await db.fetchval("SELECT count(*) FROM im_message") == 0
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'refused' AND entity = 'im_message'"
                             " AND summary LIKE 'file refused:%'") == 2
    # a text-only post through the same form is an ordinary message
    assert (await client.post(f"/h5/im/c/{conversation}/send", data={**form, "body": "只发文字"})).status_code == 303
    assert await db.fetchval("SELECT kind FROM im_message WHERE body = '只发文字'") == "text"


@pytest.mark.req("IM-01")
async def test_range_request_returns_206_with_the_right_bytes(as_user, db):
    me = await actor_of("alumnus")
    conversation = await _direct()
    report = pdf(600_000)
    attachment = await attachments.store(me, conversation, "校史.pdf", _chunks(report))
    message = await messages.send_attachment(me, conversation, "file", attachment)
    client = await as_user("hq")
    whole = await client.get(f"/h5/im/files/{message}")
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes" and whole.content == report
    assert whole.headers["content-disposition"].startswith("inline")  # a PDF opens in the phone's viewer
    part = await client.get(f"/h5/im/files/{message}", headers={"range": "bytes=300000-300099"})
    assert part.status_code == 206 and part.content == report[300000:300100]
    assert part.headers["content-range"] == f"bytes 300000-300099/{len(report)}"
    tail = await client.get(f"/h5/im/files/{message}", headers={"range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == report[-10:]
    beyond = await client.get(f"/h5/im/files/{message}", headers={"range": f"bytes={len(report)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(report)}"
    cached = await client.get(f"/h5/im/files/{message}", headers={"if-none-match": whole.headers["etag"]})
    assert cached.status_code == 304


@pytest.mark.req("IM-02")
async def test_group_files_page_lists_them_newest_first(as_user, db):
    owner, one = await actor_of("hq"), await actor_of("alumnus")
    group = await conversations.create_group(owner, "2008级校友群", [one.id])
    await messages.send(owner, group, "先发一句")
    first = await messages.send_attachment(owner, group, "file",
                                           await attachments.store(owner, group, "通讯录.pdf", _chunks(pdf(2000))))
    second = await messages.send_attachment(one, group, "image",
                                            await attachments.store(one, group, "聚会.png", _chunks(png())))
    client = await as_user("alumnus")
    info = await client.get(f"/h5/im/c/{group}/info")
    assert f'href="/h5/im/c/{group}/files"' in info.text
    page = await client.get(f"/h5/im/c/{group}/files")
    assert page.status_code == 200
    assert page.text.index(f'id="file-{second}"') < page.text.index(f'id="file-{first}"')
    assert "通讯录.pdf" in page.text and "聚会.png" in page.text and "先发一句" not in page.text
    for n in range(20):  # paged
        await messages.send_attachment(owner, group, "file",
                                       await attachments.store(owner, group, f"f{n}.pdf", _chunks(pdf(300))))
    paged = await client.get(f"/h5/im/c/{group}/files")
    assert paged.text.count('class="im-file-row"') == 20 and "?page=2" in paged.text
    second_page = await client.get(f"/h5/im/c/{group}/files?page=2")
    assert f'id="file-{first}"' in second_page.text


@pytest.mark.req("IM-11")
async def test_purge_removes_old_files_and_leaves_new_ones(as_user, db):
    me = await actor_of("alumnus")
    conversation = await _direct()
    old = await attachments.store(me, conversation, "旧照片.png", _chunks(png()))
    old_id = await messages.send_attachment(me, conversation, "image", old)
    new = await attachments.store(me, conversation, "新文件.pdf", _chunks(pdf(3000)))
    new_id = await messages.send_attachment(me, conversation, "file", new)
    await db.execute("UPDATE im_message SET created_at = now() - interval '200 days' WHERE id = $1", old_id)
    await settings_store.put("im.file_retention_days", 0)  # keep forever
    assert (await attachments.purge())["removed"] == 0 and storage().exists(old["key"])
    await settings_store.put("im.file_retention_days", 180)
    assert (await attachments.purge()) == {"removed": 1, "days": 180}
    assert not storage().exists(old["key"]) and storage().exists(new["key"])
    assert (await attachments.purge())["removed"] == 0  # a second run finds nothing
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'purge' AND entity = 'im_message'") == 1
    client = await as_user("hq")
    page = await client.get(f"/h5/im/c/{conversation}")
    assert "This file has expired and was removed." in page.text and "旧照片.png" in page.text
    assert f'src="/h5/im/files/{old_id}"' not in page.text and f"/h5/im/files/{new_id}" in page.text
    assert (await client.get(f"/h5/im/files/{old_id}")).status_code == 404
    assert (await client.get(f"/h5/im/files/{new_id}")).status_code == 200

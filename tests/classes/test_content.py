"""Class stories, posts and albums (CLS-04) through the content platform: a story with a sensitive word from the
dictionary waits for moderation with the word shown to the liaison, who approves it; moderation switched off
publishes members' posts at once (a sensitive word still waits); a file that is not an image is refused."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.classes.factories import generate, liaison_class, make_member, make_person, make_user, named_class
from tests.helpers import csrf_from, login


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def _write(client, class_id: int, section: str, data: dict, files=None):
    form = await client.get(f"/h5/classes/{class_id}/{section}/new")
    assert form.status_code == 200, form.text[:300]
    return await client.post(f"/h5/classes/{class_id}/{section}", data={"_csrf_token": csrf_from(form.text), **data},
                             files=files)


@pytest.mark.req("CLS-04")
async def test_a_story_with_a_sensitive_word_waits_and_the_liaison_approves_it(client, db):
    class_id = await liaison_class()
    author = await make_user("cnt_author", "作同学")
    reader = await make_user("cnt_reader", "读同学")
    await make_member(class_id, author)
    await make_member(class_id, reader)
    await login(client, "cnt_author", "Demo2026pass")
    sent = await _write(client, class_id, "stories", {"title": "宿舍往事", "happened_on": "2009-03-01",
                                                      "body": "那年有人在宿舍赌博被宿管抓到"},
                        files={"images": ("dorm.jpg", jpeg(), "image/jpeg")})
    assert sent.status_code == 303
    post = await db.fetchrow("SELECT * FROM cnt_post WHERE author = $1", author)
    assert (post["kind"], post["status"], post["owner_kind"], post["owner_id"]) == ("story", "pending", "class",
                                                                                    class_id)
    assert "赌博" in post["flagged_words"] and str(post["happened_on"]) == "2009-03-01"

    await login(client, "cnt_reader", "Demo2026pass")
    assert "宿舍往事" not in (await client.get(f"/h5/classes/{class_id}/stories")).text

    await login(client, "liaison", "Demo2026pass")
    manage = await client.get(f"/h5/classes/{class_id}/manage")
    assert "宿舍往事" in manage.text and "赌博" in manage.text
    approved = await client.post(f"/h5/classes/{class_id}/moderation/post/{post['id']}/approve",
                                 data={"_csrf_token": csrf_from(manage.text)})
    assert approved.status_code == 303
    assert await db.fetchval("SELECT status FROM cnt_post WHERE id = $1", post["id"]) == "published"

    await login(client, "cnt_reader", "Demo2026pass")
    stories = await client.get(f"/h5/classes/{class_id}/stories")
    assert "宿舍往事" in stories.text and "/media/content/photos/" in stories.text
    home = await client.get(f"/h5/classes/{class_id}")
    assert "宿舍往事" in home.text


@pytest.mark.req("CLS-04")
async def test_moderation_off_publishes_at_once_and_bad_files_are_refused(client, db):
    class_id = await liaison_class()
    author = await make_user("cnt_poster", "贴同学")
    await make_member(class_id, author)
    await login(client, "liaison", "Demo2026pass")
    manage = await client.get(f"/h5/classes/{class_id}/manage")
    saved = await client.post(f"/h5/classes/{class_id}/moderation-settings",
                              data={"_csrf_token": csrf_from(manage.text), "story": "on", "album": "on",
                                    "photo": "on"})  # posts unchecked: no moderation
    assert saved.status_code == 303

    await login(client, "cnt_poster", "Demo2026pass")
    await _write(client, class_id, "posts", {"body": "周末聚餐，地点待定"})
    await _write(client, class_id, "posts", {"body": "周末一起去刷单返利吧"})
    rows = {r["body"]: r for r in await db.fetch("SELECT body, status FROM cnt_post WHERE author = $1", author)}
    assert rows["周末聚餐，地点待定"]["status"] == "published"
    assert rows["周末一起去刷单返利吧"]["status"] == "pending"  # a sensitive word waits whatever the setting
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = await _write(client, class_id, "posts", {"body": "看图"}, files={"images": ("x.jpg", svg, "image/jpeg")})
    assert refused.status_code == 422 and "看图" in refused.text  # the form comes back with the text typed
    assert await db.fetchval("SELECT count(*) FROM cnt_post WHERE author = $1", author) == 2

    # albums: a member creates one and uploads a photo; both wait for the liaison (moderation on)
    albums = await client.get(f"/h5/classes/{class_id}/albums")
    created = await client.post(f"/h5/classes/{class_id}/albums", data={"_csrf_token": csrf_from(albums.text),
                                                                         "title": "毕业照"})
    assert created.status_code == 303
    album_url = created.headers["location"]
    album_page = await client.get(album_url)
    upload = await client.post(f"{album_url}/photos", data={"_csrf_token": csrf_from(album_page.text)},
                               files={"photos": ("grad.jpg", jpeg(), "image/jpeg")})
    assert upload.status_code == 303
    assert await db.fetchval("SELECT status FROM cnt_photo WHERE author = $1 AND parent_kind = 'album'",
                             author) == "pending"
    # this album under another class's URL (one the poster is a member of too) is not found
    await make_person("贴同学", class_name="软件工程2010级6班", entry_year=2010)
    await generate()
    other = await named_class("CS", 2010, "软件工程2010级6班")
    await make_member(other["id"], author)
    album_id = int(album_url.rsplit("/", 1)[1])
    assert (await client.get(f"/h5/classes/{other['id']}/albums/{album_id}")).status_code == 404

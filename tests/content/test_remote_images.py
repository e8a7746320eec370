"""Pasted remote images (ORG-05): a WeChat article's lazy images are copied from an allow-listed host into
storage (EXIF gone), any other host is never fetched and becomes a link, as does a 404 or an SVG posing as a
photo; running the job again fetches nothing twice; an accepted HQ copy keeps its own rows; a 5xx is retried."""
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from app.content import api, remote_images
from app.core import jobs, settings_store
from app.core.storage import storage
from tests.content.conftest import jpeg

EXIF_GPS = Image.Exif()
EXIF_GPS[0x010F] = "PhoneMaker"  # Make
EXIF_GPS[0x8825] = {2: (39.0, 54.0, 27.0)}  # GPSLatitude


class _Images(BaseHTTPRequestHandler):
    hits: list[str] = []
    photo = jpeg(900, 600, exif=EXIF_GPS.tobytes())
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    def do_GET(self):  # http.server's name
        _Images.hits.append(self.path)
        if self.path.startswith("/mmbiz_jpg/"):
            self._send(200, self.photo, "image/jpeg")
        elif self.path.startswith("/fake.jpg"):
            self._send(200, self.svg, "image/jpeg")
        elif self.path.startswith("/busy"):
            self._send(503, b"busy", "text/plain")
        else:
            self._send(404, b"gone", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Images.hits = []
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


PLACEHOLDER = "data:image/svg+xml,%3Csvg%3E%3C/svg%3E"


def wechat_body(host: str) -> str:
    return (f'<section style="margin: 0 8px"><p>活动现场</p>'
            f'<img class="rich_pages wxw-img" data-src="http://{host}/mmbiz_jpg/AbC/640?wx_fmt=jpeg" '
            f'src="{PLACEHOLDER}" data-ratio="0.66" alt="合影">'
            f'<img data-src="http://{host}/mmbiz_jpg/AbC/640?wx_fmt=jpeg">'  # the same picture again
            f'<img src="http://10.0.0.5/internal.jpg" alt="内网">'
            f'<img src="http://{host}/fake.jpg">'
            f'<img src="http://{host}/deleted.jpg"></section>')


@pytest.mark.req("ORG-05")
async def test_pasted_images_are_copied_from_listed_hosts_only(db, club, make_user, client, image_host):
    editor = await make_user("编辑")
    club.moderators.add(editor.id)
    await settings_store.put(remote_images.SETTING, f"mmbiz.qpic.cn,{image_host}")
    article_id = await api.create_article(editor, club.owner, title="校友活动", body_html=wechat_body(image_host),
                                          status="published")
    assert await jobs.drain() >= 1
    body = (await api.get_article(article_id))["body_html"]
    photo_id = await db.fetchval("SELECT id FROM cnt_photo WHERE parent_kind = 'article_body' AND parent_id = $1",
                                 article_id)
    assert body.count(f'src="/media/content/photos/{photo_id}/display"') == 2  # both copies of the picture
    assert 'alt="合影"' in body and "data-src" not in body and "data:image/svg" not in body
    assert '<a href="http://10.0.0.5/internal.jpg" target="_blank" rel="noopener noreferrer">[内网]</a>' in body
    assert f'href="http://{image_host}/fake.jpg"' in body and f'href="http://{image_host}/deleted.jpg"' in body
    assert "<img" in body and "10.0.0.5/internal.jpg\"" not in body.split("<a ")[0]
    assert sorted(h.split("?")[0] for h in _Images.hits) == ["/deleted.jpg", "/fake.jpg", "/mmbiz_jpg/AbC/640"]

    served = await client.get(f"/media/content/photos/{photo_id}/display")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    copy = Image.open(io.BytesIO(served.content))
    assert copy.size == (900, 600) and not copy.getexif()  # no maker, no GPS

    audit_row = await db.fetchrow("SELECT after FROM audit_log WHERE entity = 'cnt_article' AND entity_id = $1"
                                  " AND action = 'copy_images'", str(article_id))
    assert audit_row is not None

    _Images.hits = []
    assert await remote_images.localise_article(article_id) == {"copied": 0, "linked": 0}  # nothing left remote
    await api.update_article(editor, article_id, body_html=body + wechat_body(image_host))
    await jobs.drain()
    assert [h for h in _Images.hits if h.startswith("/mmbiz_jpg/")] == []  # copied once, looked up after
    assert await db.fetchval("SELECT count(*) FROM cnt_photo WHERE parent_kind = 'article_body'"
                             " AND parent_id = $1", article_id) == 1


@pytest.mark.req("ORG-05")
async def test_busy_host_is_retried_and_a_deleted_article_takes_its_copies(db, club, make_user, image_host):
    editor = await make_user("编辑")
    club.moderators.add(editor.id)
    await settings_store.put(remote_images.SETTING, image_host)
    article_id = await api.create_article(editor, club.owner, title="稍后",
                                          body_html=f'<p><img src="http://{image_host}/busy.jpg"></p>')
    with pytest.raises(remote_images.RetryLater):
        await remote_images.localise_article(article_id)  # a 5xx raises: the job is tried again later
    assert f"http://{image_host}/busy.jpg" in (await api.get_article(article_id))["body_html"]

    await api.update_article(editor, article_id, body_html=f'<img src="http://{image_host}/mmbiz_jpg/z">')
    await remote_images.localise_article(article_id)
    assert await db.fetchval("SELECT count(*) FROM cnt_photo WHERE parent_id = $1 AND parent_kind = 'article_body'",
                             article_id) == 1
    await api.delete_article(editor, article_id)
    assert await db.fetchval("SELECT count(*) FROM cnt_photo WHERE parent_id = $1 AND parent_kind = 'article_body'",
                             article_id) == 0


@pytest.mark.req("ORG-05")
async def test_host_matching():
    hosts = {"mmbiz.qpic.cn", "qlogo.cn", "127.0.0.1:8080"}
    assert remote_images.host_allowed("https://mmbiz.qpic.cn/a/640", hosts)
    assert remote_images.host_allowed("https://wx.qlogo.cn/a", hosts)
    assert remote_images.host_allowed("http://127.0.0.1:8080/x", hosts)
    assert not remote_images.host_allowed("http://127.0.0.1:9999/x", hosts)
    assert not remote_images.host_allowed("https://mmbiz.qpic.cn.evil.example/a", hosts)
    assert not remote_images.host_allowed("https://evilqpic.cn/a", {"qpic.cn"})


@pytest.mark.req("ORG-05")
async def test_an_accepted_hq_copy_keeps_its_pictures(db, club, make_user, image_host):
    org_editor = await make_user("分会编辑")
    hq_editor = await make_user("总会编辑", perms=("content.hq.publish",))
    club.moderators.add(org_editor.id)
    await settings_store.put(remote_images.SETTING, image_host)
    article = await api.create_article(org_editor, club.owner, title="迎新", status="published",
                                       body_html=f'<p><img src="http://{image_host}/mmbiz_jpg/q"></p>')
    await jobs.drain()
    submission = await api.submit_to(org_editor, article, api.HQ)
    copy_id = await api.accept_submission(hq_editor, submission)
    mine = await db.fetchval("SELECT id FROM cnt_photo WHERE parent_kind = 'article_body' AND parent_id = $1"
                             " AND owner_kind = 'hq'", copy_id)
    assert f'src="/media/content/photos/{mine}/display"' in (await api.get_article(copy_id))["body_html"]
    await api.delete_article(org_editor, article)
    assert await db.fetchval("SELECT display_key FROM cnt_photo WHERE id = $1", mine)
    assert storage().exists(await db.fetchval("SELECT display_key FROM cnt_photo WHERE id = $1", mine))

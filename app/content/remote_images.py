"""Images a pasted WeChat / Xiumi / 135editor article points at, copied here (ORG-05). The page's CSP allows
images from this site only (and WeChat's CDN refuses other sites' Referer anyway), so a job fetches every
remote image of a saved article body — only from the hosts listed in the `content.image_hosts` setting, so
the server never fetches an address a user made up (no SSRF into the campus network) — checks it like an
upload, stores the clean copies (EXIF stripped, two sizes) as a photo of the article body and points the
`<img>` at it. An image from any other host, or one that is not an image, too large, or gone (4xx, a
redirect), becomes a plain link to its address, so the reader loses nothing. Network trouble raises: the job
is retried. Idempotent: a copied address is looked up before it is fetched again."""
from __future__ import annotations

import hashlib
import html as html_lib
import re
from urllib.parse import urlsplit

import httpx

from app.content import compliance, images
from app.content.sanitizer import ATTRIBUTE, IMG_TAG
from app.core import audit, db, jobs, settings_store
from app.core.audit import SYSTEM, Actor
from app.core.forms import Invalid
from app.core.i18n import gettext as _

JOB_KIND = "content.remote_images"
SETTING = "content.image_hosts"
settings_store.DEFAULTS.setdefault(SETTING, "mmbiz.qpic.cn,mmbiz.qlogo.cn,img.xiumi.us,statics.xiumi.us,"
                                            "img.135editor.com,image.135editor.com,bdn.135editor.com")
TIMEOUT_SECONDS = 10.0
PARENT_KIND = "article_body"


class RetryLater(Exception):
    """Some hosts did not answer; what could be done is saved and the job runs again."""


class FetchFailed(Exception):
    """The host answered with something that is not an image we keep (permanent: becomes a link)."""


def _absolute(src: str) -> str:
    src = html_lib.unescape(src)
    return "https:" + src if src.startswith("//") else src


def remote_sources(body_html: str) -> list[str]:
    """The distinct remote (http, https, protocol-relative) image addresses of a sanitised body, in order."""
    seen: dict[str, None] = {}
    for match in IMG_TAG.finditer(body_html or ""):
        src = dict(ATTRIBUTE.findall(match.group(1))).get("src", "")
        if src.lower().startswith(("http://", "https://", "//")):
            seen.setdefault(_absolute(src), None)
    return list(seen)


async def allowed_hosts() -> set[str]:
    raw = str(await settings_store.get(SETTING) or "")
    return {h.strip().lower() for h in raw.replace("\n", ",").split(",") if h.strip()}


_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*(:\d{1,5})?$")


async def set_allowed_hosts(actor: Actor, text: str) -> list[str]:
    """The content settings page's list (one host per line or comma-separated; a host also allows its
    subdomains); Invalid names the first bad entry. Audited."""
    hosts = [h.strip().lower() for h in (text or "").replace(",", "\n").splitlines() if h.strip()]
    for host in hosts:
        if not _HOST.match(host):
            raise Invalid("image_hosts", _("%(host)s is not a host name (e.g. mmbiz.qpic.cn).", host=host))
    hosts = list(dict.fromkeys(hosts))
    before = sorted(await allowed_hosts())
    async with db.transaction():
        await settings_store.put(SETTING, ",".join(hosts), actor.id)
        await audit.record(actor, "update", "site_setting", SETTING, before={"value": before},
                           after={"value": hosts}, summary=SETTING)
    return hosts


def host_allowed(url: str, hosts: set[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    with_port = f"{host}:{parts.port}" if parts.port else host
    return with_port in hosts or host in hosts or any(host.endswith("." + h) for h in hosts if ":" not in h)


def _source_key(url: str) -> str:
    return "remote:" + hashlib.sha256(url.encode()).hexdigest()[:40]


async def enqueue_for(article_id: int, body_html: str) -> None:
    """Queue the copy job when a saved body holds remote images (in the caller's transaction)."""
    if remote_sources(body_html):
        digest = hashlib.sha256(body_html.encode()).hexdigest()[:16]
        await jobs.enqueue(JOB_KIND, {"article": article_id}, dedupe_key=f"{JOB_KIND}:{article_id}:{digest}")


async def _fetch(client: httpx.AsyncClient, url: str) -> bytes:
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                if response.status_code >= 500:
                    raise httpx.HTTPError(f"{response.status_code} from {url}")
                raise FetchFailed(f"HTTP {response.status_code}")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) > compliance.MAX_IMAGE_BYTES:
                    raise FetchFailed("too large")
            return bytes(data)
    except httpx.InvalidURL as exc:
        raise FetchFailed("bad address") from exc


def _store(data: bytes) -> images.StoredImage:
    try:
        image = compliance.open_image(data)
    except Invalid as exc:
        raise FetchFailed("not an image") from exc
    ext = compliance.IMAGE_FORMATS[image.format][1]
    return images.store(f"pasted.{ext}", data)


async def _copied(article_id: int, url: str) -> int | None:
    return await db.fetchval("SELECT id FROM cnt_photo WHERE parent_kind = $1 AND parent_id = $2"
                             " AND original_name = $3", PARENT_KIND, article_id, _source_key(url))


async def _copy(client: httpx.AsyncClient, article: dict, url: str) -> int:
    image = _store(await _fetch(client, url))
    return await db.fetchval(
        "INSERT INTO cnt_photo (owner_kind, owner_id, parent_kind, parent_id, status, author, display_key,"
        " thumb_key, mime, width, height, size, original_name, created_by, updated_by)"
        " VALUES ($1, $2, $3, $4, 'published', $5, $6, $7, $8, $9, $10, $11, $12, $5, $5) RETURNING id",
        article["owner_kind"], article["owner_id"], PARENT_KIND, article["id"], article["author"],
        image.display_key, image.thumb_key, image.mime, image.width, image.height, image.size, _source_key(url))


def _rewrite(body_html: str, local: dict[str, int], links: set[str]) -> str:
    def one(match):
        attrs = ATTRIBUTE.findall(match.group(1))
        src = dict(attrs).get("src", "")
        url = _absolute(src) if src else ""
        if url in local:
            rest = "".join(f' {n}="{v}"' for n, v in attrs if n != "src")
            return f'<img src="/media/content/photos/{local[url]}/display"{rest}>'
        if url in links:
            text = dict(attrs).get("alt") or urlsplit(url).hostname or url
            return (f'<a href="{html_lib.escape(url)}" target="_blank" rel="noopener noreferrer">'
                    f'[{text}]</a>')
        return match.group(0)

    return IMG_TAG.sub(one, body_html)


async def localise_article(article_id: int) -> dict:
    """Copy the remote images of one article's body (see the module docstring); counts of what happened."""
    article = await db.fetchrow("SELECT id, owner_kind, owner_id, author, body_html FROM cnt_article WHERE id = $1",
                                article_id)
    if article is None:
        return {"copied": 0, "linked": 0}
    hosts = await allowed_hosts()
    local: dict[str, int] = {}
    links: set[str] = set()
    retry: list[str] = []
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                                 headers={"User-Agent": "Tongchuang image copier"}) as client:
        for url in remote_sources(article["body_html"]):
            if not host_allowed(url, hosts):
                links.add(url)
                continue
            photo_id = await _copied(article_id, url)
            if photo_id is None:
                try:
                    photo_id = await _copy(client, dict(article), url)
                except FetchFailed:
                    links.add(url)
                    continue
                except httpx.HTTPError:
                    retry.append(url)  # the host is down or busy: the others are kept, this one next time
                    continue
            local[url] = photo_id
    if local or links:
        await _save(article_id, local, links)
    if retry:
        raise RetryLater(f"{len(retry)} image(s) could not be fetched yet: {', '.join(retry[:3])}")
    return {"copied": len(local), "linked": len(links)}


async def _save(article_id: int, local: dict[str, int], links: set[str]) -> None:
    async with db.transaction():
        # the body may have been edited while we fetched: rewrite what is there now
        body = await db.fetchval("SELECT body_html FROM cnt_article WHERE id = $1 FOR UPDATE", article_id)
        if body is None:
            return
        rewritten = _rewrite(body, local, links)
        if rewritten != body:
            await db.execute("UPDATE cnt_article SET body_html = $2 WHERE id = $1", article_id, rewritten)
            await audit.record(SYSTEM, "copy_images", "cnt_article", article_id,
                               after={"copied": sorted(local), "linked": sorted(links)})


async def copy_to(source_id: int, copy_id: int) -> None:
    """An accepted submission's copy gets its own rows for the source's body images (the files are shared) and a
    body pointing at them, so the copy keeps its pictures when the source is deleted; images still remote are
    queued for the copy too. In the caller's transaction."""
    copy = await db.fetchrow("SELECT owner_kind, owner_id, body_html FROM cnt_article WHERE id = $1", copy_id)
    old = await db.fetch("SELECT id, original_name FROM cnt_photo WHERE parent_kind = $1 AND parent_id = $2",
                         PARENT_KIND, source_id)
    new = await db.fetch(
        "INSERT INTO cnt_photo (owner_kind, owner_id, parent_kind, parent_id, status, author, display_key,"
        " thumb_key, mime, width, height, size, original_name, created_by, updated_by)"
        " SELECT $3, $4, parent_kind, $2, 'published', author, display_key, thumb_key, mime, width, height, size,"
        " original_name, created_by, updated_by FROM cnt_photo WHERE parent_kind = $5 AND parent_id = $1"
        " RETURNING id, original_name", source_id, copy_id, copy["owner_kind"], copy["owner_id"], PARENT_KIND)
    new_ids = {r["original_name"]: r["id"] for r in new}
    body = copy["body_html"]
    for row in old:
        body = body.replace(f'src="/media/content/photos/{row["id"]}/', f'src="/media/content/photos/'
                                                                         f'{new_ids[row["original_name"]]}/')
    if body != copy["body_html"]:
        await db.execute("UPDATE cnt_article SET body_html = $2 WHERE id = $1", copy_id, body)
    await enqueue_for(copy_id, body)

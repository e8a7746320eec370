"""Albums and photos (ORG-06, CLS-06): uploads are checked by their real content and size, stored without EXIF in
a display size and a ≤ 320 px thumbnail, moderated per the owner's setting, and served by the photo route only
to viewers the owner's hook allows (pending ones only to moderators and the uploader)."""
import io

import pytest
from PIL import ExifTags, Image

from app.content import api
from app.core.forms import Invalid
from app.core.storage import storage
from tests.content.conftest import PASSWORD, jpeg, png
from tests.helpers import login

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def gps_photo(width=2000, height=1500, orientation=None) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif[ExifTags.Base.Model] = "X100"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 17.0)
    data = jpeg(width, height, exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload does carry GPS
    return data


@pytest.mark.req("ORG-06")
@pytest.mark.parametrize("name,data,message", [
    ("party.jpg", SVG, "not a JPEG, PNG, GIF or WebP"),  # an SVG renamed .jpg
    ("party.jpg", HTML, "not a JPEG, PNG, GIF or WebP"),  # an HTML page renamed .jpg
    ("party.jpg", b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), "larger than 10 MB"),  # 50 MB named .jpg
    ("party.jpg", jpeg()[:1500], "damaged or incomplete"),  # a truncated JPEG
    ("party.svg", SVG, "Only JPEG, PNG, GIF or WebP"),
    ("party.jpg", b"", "empty"),
])
def test_check_image_refuses_what_is_not_a_clean_image(name, data, message):
    with pytest.raises(Invalid) as refused:
        api.check_image(name, data)
    assert message in refused.value.message


@pytest.mark.req("ORG-06")
def test_check_image_sniffs_the_real_type():
    info = api.check_image("photo.jpg", png(40, 30))  # a PNG with the wrong name is still a PNG
    assert (info.format, info.mime, info.width, info.height) == ("PNG", "image/png", 40, 30)
    assert api.check_image("IMG_0001.JPG", jpeg(10, 10)).format == "JPEG"
    with pytest.raises(Invalid, match="larger than 200 KB"):
        api.check_image("big.jpg", jpeg(600, 600, color=None), max_bytes=200 * 1024)  # the caller may lower it


@pytest.mark.req("ORG-06")
async def test_a_photo_is_stored_without_exif_upright_and_in_two_sizes(db, club, make_user):
    moderator = await make_user("相册管理员")
    club.moderators.add(moderator.id)
    album = await api.create_album(moderator, club.owner, "2026新春联谊会")
    photo_id = await api.add_photo(moderator, album, "IMG_2041.jpg", gps_photo(2000, 1500, orientation=6))
    row = await db.fetchrow("SELECT * FROM cnt_photo WHERE id = $1", photo_id)
    assert row["status"] == "published"  # a moderator's own upload
    for key, box in ((row["display_key"], 1280), (row["thumb_key"], 320)):
        stored = Image.open(io.BytesIO(storage().get(key)))
        assert not stored.getexif() and "exif" not in stored.info and "xmp" not in stored.info
        assert max(stored.size) <= box and stored.height > stored.width  # orientation 6: the photo stood upright
    assert Image.open(io.BytesIO(storage().get(row["thumb_key"]))).size == (240, 320)
    assert (row["width"], row["height"]) == (960, 1280)
    audit = await db.fetchrow("SELECT after FROM audit_log WHERE entity = 'cnt_photo' AND entity_id = $1",
                              str(photo_id))
    assert audit is not None
    albums = await api.list_albums(club.owner, moderator)
    assert albums[0]["photo_count"] == 1 and albums[0]["cover_url"] == f"/media/content/photos/{photo_id}/thumb"


@pytest.mark.req("ORG-06")
async def test_member_uploads_wait_for_moderation_and_stay_invisible_to_others(db, club, make_user):
    member, other, moderator = await make_user("上传者"), await make_user("旁观者"), await make_user("管理员")
    club.members |= {member.id, other.id}
    club.moderators.add(moderator.id)
    album = await api.create_album(moderator, club.owner, "毕业二十周年")
    photo_id = await api.add_photo(member, album, "a.png", png(500, 400), caption="合影")
    assert await db.fetchval("SELECT status FROM cnt_photo WHERE id = $1", photo_id) == "pending"
    assert (await api.list_photos(album, member)).total == 1  # the uploader sees it (marked pending)
    assert (await api.list_photos(album, other)).total == 0
    assert (await api.list_photos(album, None)).total == 0
    queue = await api.moderation_queue(moderator, kind="photo")
    assert [(i["item_kind"], i["id"]) for i in queue.items] == [("photo", photo_id)]
    await api.approve(moderator, "photo", photo_id)
    assert (await api.list_photos(album, other)).items[0]["id"] == photo_id
    # with the owner's photo moderation off, members publish at once
    await api.set_moderation(moderator, club.owner, "photo", False)
    second = await api.add_photo(other, album, "b.jpg", jpeg(100, 100))
    assert await db.fetchval("SELECT status FROM cnt_photo WHERE id = $1", second) == "published"
    with pytest.raises(api.NotAllowed):
        await api.set_moderation(member, club.owner, "photo", True)


@pytest.mark.req("ORG-06")
async def test_the_photo_route_asks_the_owner_hook(client, db, club, make_user):
    member, outsider, moderator = await make_user("会员"), await make_user("外人"), await make_user("管理员")
    club.members.add(member.id)
    club.moderators.add(moderator.id)
    album = await api.create_album(moderator, club.owner, "理事会合影")
    published = await api.add_photo(moderator, album, "p.jpg", jpeg(400, 300))
    pending = await api.add_photo(member, album, "q.jpg", jpeg(400, 300))
    # a public owner: anyone sees published photos, cached publicly with an ETag
    answer = await client.get(f"/media/content/photos/{published}/thumb")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"] == "public, max-age=86400" and answer.headers["etag"]
    again = await client.get(f"/media/content/photos/{published}/thumb",
                             headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert (await client.get(f"/media/content/photos/{pending}/display")).status_code == 404
    assert (await client.get(f"/media/content/photos/{published}/original")).status_code == 404
    # a members-only owner: the hook refuses the outsider and the anonymous visitor
    club.public = False
    assert (await client.get(f"/media/content/photos/{published}/display")).status_code == 403
    assert (await login(client, outsider.name, PASSWORD)).status_code == 303  # Actor.name is the username
    assert (await client.get(f"/media/content/photos/{published}/display")).status_code == 403
    await login(client, member.name, PASSWORD)
    shown = await client.get(f"/media/content/photos/{published}/display")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "private, max-age=600"
    mine = await client.get(f"/media/content/photos/{pending}/display")  # the uploader sees their pending photo
    assert mine.status_code == 200 and mine.headers["cache-control"] == "private, no-store"
    await login(client, moderator.name, PASSWORD)
    assert (await client.get(f"/media/content/photos/{pending}/thumb")).status_code == 200

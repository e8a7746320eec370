"""NFR-06 upload checks and the image upload field on the profile (SUP-02)."""
import io

import pytest

from tests.helpers import csrf_from

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
       b"\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.req("NFR-06")
async def test_upload_checks_refuse_disguised_and_oversized_files(db):
    from app.core import settings_store, uploads
    from app.core.forms import Invalid

    with pytest.raises(Invalid, match="does not match"):
        await uploads.check("photo.jpg", b"MZ\x90\x00 this is an exe")
    with pytest.raises(Invalid, match="not accepted"):
        await uploads.check("script.php", b"<?php echo 1;")
    await settings_store.put("upload.max_mb", 0.0001)
    with pytest.raises(Invalid, match="larger than"):
        await uploads.check("big.png", PNG + b"\x00" * 500)
    settings_store.invalidate()


@pytest.mark.req("SUP-02")
async def test_profile_photo_upload_is_stored_and_served_only_to_logged_in_users(as_user, db, client):
    await as_user("bj_admin")
    page = await client.get("/admin/profile")
    response = await client.post("/admin/profile", data={"_csrf_token": csrf_from(page.text), "name": "陈北京",
                                                         "email": "bj_admin@tongchuang.local", "phone": "", "lang": ""},
                                 files={"avatar": ("me.png", io.BytesIO(PNG), "image/png")})
    assert response.status_code == 303, response.text[:400]
    profile = await client.get("/admin/profile")
    url = profile.text.split('class="avatar" src="')[1].split('"')[0]
    image = await client.get(url)
    assert image.status_code == 200 and image.content == PNG and image.headers["content-type"] == "image/png"
    bad = await client.post("/admin/profile", data={"_csrf_token": csrf_from(profile.text), "name": "改名",
                                                    "email": "bj_admin@tongchuang.local", "phone": "", "lang": ""},
                            files={"avatar": ("me.png", io.BytesIO(b"not an image"), "image/png")})
    assert bad.status_code == 422 and "does not match" in bad.text
    assert await db.fetchval("SELECT name FROM app_user WHERE username = 'bj_admin'") == "陈北京"  # nothing half-saved
    client.cookies.clear()
    assert (await client.get(url)).status_code == 303  # not logged in → login

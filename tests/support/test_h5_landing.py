"""SUP-02 / NFR-02: a newly registered alumnus lands on the H5 home with the points mall and their orders
one tap away; an alumnus opening /admin goes there too, while staff lacking a permission keep the 403."""
import re

import pytest

from tests.helpers import csrf_from, login


def links(html: str) -> set[str]:
    return set(re.findall(r'<a [^>]*href="([^"]+)"', html))


async def follow(client, response, limit: int = 5):
    """Follow 303s as a browser does; returns the final response and the path it came from."""
    path = None
    for _ in range(limit):
        if response.status_code not in (302, 303):
            break
        path = response.headers["location"]
        response = await client.get(path)
    return response, path


@pytest.mark.req("SUP-02")
@pytest.mark.req("NFR-02")
async def test_registration_lands_on_h5_home_with_mall_and_orders(client, db):
    client.cookies.clear()
    form = await client.get("/register")
    submitted = await client.post("/register", data={"username": "newalum", "name": "新校友", "email": "new@example.cn",
                                                     "password": "abc12345xyz", "_csrf_token": csrf_from(form.text)})
    home, path = await follow(client, submitted)
    assert path == "/h5" and home.status_code == 200
    assert "新校友" in home.text and 'action="/logout"' in home.text  # logged in as the new account
    assert {"/h5/mall", "/h5/mall/orders"} <= links(home.text)
    for url in ("/h5/mall", "/h5/mall/orders"):
        assert (await client.get(url)).status_code == 200, url
    assert await db.fetchval("SELECT kind FROM app_user WHERE username = 'newalum'") == "registered"
    # the login that came with the registration is in the login log like any other (SUP-12)
    assert await db.fetchval("SELECT reason FROM login_log WHERE username = 'newalum' AND success") == "registered"

    # later logins without a destination, "/" and a typed /admin land there too — never on a 403
    response = await login_without_next(client, "newalum", "abc12345xyz")
    assert response.headers["location"] == "/h5"
    for url in ("/", "/admin"):
        page, path = await follow(client, await client.get(url))
        assert path == "/h5" and page.status_code == 200, url


async def login_without_next(client, username: str, password: str):
    client.cookies.clear()
    page = await client.get("/login")
    response = await client.post("/login", data={"username": username, "password": password,
                                                 "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    return response


@pytest.mark.req("SUP-03")
async def test_staff_without_the_permission_still_get_403_and_admins_the_workbench(client, db):
    await db.execute("INSERT INTO app_user (username, name, kind, password_hash)"
                     " SELECT 'clerk', '无权职员', 'admin', password_hash FROM app_user WHERE username = 'hq'")
    from app.support.seed import DEMO_PASSWORD

    assert (await login_without_next(client, "clerk", DEMO_PASSWORD)).headers["location"] == "/admin"
    assert (await client.get("/admin")).status_code == 403
    assert (await login_without_next(client, "hq", DEMO_PASSWORD)).headers["location"] == "/admin"
    assert (await client.get("/admin")).status_code == 200
    assert (await login(client, "hq", DEMO_PASSWORD)).headers["location"] == "/admin"


@pytest.mark.req("SUP-02")
async def test_the_h5_home_offers_every_module_s_declared_pages(as_user):
    from app.core import modules

    client = await as_user("liaison")
    home = await client.get("/h5")
    declared = {link.url for link in modules.h5_links()}
    assert {"/h5/mall", "/h5/points", "/h5/identity", "/h5/me/logins"} <= declared
    assert declared <= links(home.text)

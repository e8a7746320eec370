"""Every admin page answers as a full page and, for htmx, as only the changed block (NFR-01)."""
import pytest

HTMX = {"hx-request": "true", "hx-target": "results"}


def _admin_pages(app) -> list[str]:
    paths = set()
    for route in app.routes:
        if route.path.startswith("/admin") and "{" not in route.path and "GET" in getattr(route, "methods", ()):
            paths.add(route.path)
    return sorted(paths)


@pytest.mark.req("NFR-01")
async def test_every_admin_page_renders_full_and_as_htmx_fragment(app, as_user):
    client = await as_user("admin")
    pages = _admin_pages(app)
    assert len(pages) >= 15  # the support module alone has this many lists and forms
    problems = []
    for path in pages:
        full = await client.get(path, follow_redirects=True)  # e.g. a step page sends you to its list
        if full.status_code == 200 and "text/html" not in full.headers.get("content-type", ""):
            continue  # downloads (templates, exports) are not pages
        if full.status_code != 200 or "<html" not in full.text:
            problems.append(f"{path}: full page {full.status_code}")
            continue
        fragment = await client.get(path, headers=HTMX, follow_redirects=True)
        if fragment.status_code != 200:
            problems.append(f"{path}: htmx {fragment.status_code}")
    assert not problems, problems


@pytest.mark.req("NFR-01")
@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit", "/admin/security/logins", "/admin/jobs",
                                  "/admin/inbox", "/admin/messages/deliveries", "/admin/dev/mailbox"])
async def test_list_pages_answer_htmx_with_only_the_results(as_user, path):
    client = await as_user("admin")
    fragment = await client.get(path, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<table" in fragment.text or 'class="empty' in fragment.text


@pytest.mark.req("NFR-01")
async def test_oversized_ids_in_filters_are_ignored_not_errors(as_user):
    client = await as_user("admin")
    for path in ("/admin/users?org=99999999999999999999999", "/admin/records?college=99999999999999999999",
                 "/admin/records/changes?person=123456789012345678901"):
        response = await client.get(path)
        assert response.status_code == 200, path


def _get_routes_with_int_params(app) -> list[str]:
    import re

    paths = set()
    for route in app.routes:
        if "GET" in getattr(route, "methods", ()) and ":int}" in route.path and not route.path.startswith("/static"):
            paths.add(route.path)
    return sorted(paths), re


@pytest.mark.req("NFR-01")
async def test_ids_no_row_can_have_are_404_on_every_route_not_500(app, as_user):
    client = await as_user("admin")
    paths, re = _get_routes_with_int_params(app)
    assert len(paths) >= 30
    problems = []
    for path in paths:
        for huge in (2**31, 2**63, 2**64 + 7, -(2**31) - 1):
            url = re.sub(r"\{[a-z_]+:int\}", str(huge), path)
            url = re.sub(r"\{[a-z_]+:str\}", "x", url)
            response = await client.get(url)
            if response.status_code >= 500:
                problems.append(f"{url}: {response.status_code}")
            elif response.status_code == 404 and "/api/" not in url:
                assert "<html" in response.text, url
    assert not problems, problems


@pytest.mark.req("NFR-01")
async def test_huge_page_numbers_give_an_empty_page_not_500(app, as_user):
    client = await as_user("admin")
    problems = []
    for path in _admin_pages(app) + ["/h5/mall", "/h5/mall/orders"]:
        for page in (2**31, 2**63, 10**30):
            response = await client.get(f"{path}?page={page}&per_page=100", follow_redirects=True)
            if response.status_code >= 500:
                problems.append(f"{path}?page={page}: {response.status_code}")
    assert not problems, problems

"""Browser flow: bulk user import with a bad row → mapping → report → commit → rollback (SUP-18)."""
import pytest

from app.core import jobs
from e2e.helpers import BOTH, log_in
from tests.helpers import xlsx

HEADERS = ["Username", "Real name", "Email", "Mobile phone", "Org code", "User kind", "Role codes", "Initial password"]


def workbook(path) -> str:
    path.write_bytes(xlsx([HEADERS,
                              ["flow_one", "流程一", "flow_one@example.cn", "13900000011", "CS", "alumni", "", ""],
                              ["flow_two", "流程二", "", "", "CS-2008-1", "alumni", "", ""],
                              ["flow_bad", "流程坏", "bad-mail", "", "CS", "alumni", "", ""]]))
    return str(path)


async def _usernames(db) -> list[str]:
    return [r["username"] for r in await db.fetch(
        "SELECT username FROM app_user WHERE username LIKE 'flow\\_%' ORDER BY username")]


@pytest.mark.req("SUP-18")
@BOTH
async def test_import_users_commit_and_roll_back(page, mode, tmp_path, db):
    upload = workbook(tmp_path / "users.xlsx")
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/users")
    await page.click("a[href='/admin/imports/users']")
    await page.wait_for_selector("#upload-form")
    assert await page.locator("a[href='/admin/imports/users/template.xlsx']").count() == 1
    await page.set_input_files("#f-file", upload)
    await page.click("#upload-form button[type=submit]")

    await page.wait_for_selector("#mapping-form")
    assert await page.locator("#map-username").input_value() == "0"
    assert await page.locator("#map-org").input_value() == "4"
    await page.click("#mapping-form button[type=submit]")

    await page.wait_for_selector("#progress[data-status=validated]")
    bad = page.locator("table.data-table tbody tr", has_text="flow_bad")
    assert "bad-mail" in await bad.locator(".row-errors").inner_text()
    assert await page.locator("#count-errors").inner_text() == "1"
    await page.click("#commit-form button[type=submit]")

    await page.wait_for_selector("#progress[data-status=committing]")
    await jobs.drain()  # the worker's part; the page notices by itself (htmx polling, or refresh without JS)
    await page.wait_for_selector("#progress[data-status=committed]", timeout=20000)
    assert await page.locator("#count-imported").inner_text() == "2"
    assert await _usernames(db) == ["flow_one", "flow_two"]

    await page.click("#rollback-link")
    await page.wait_for_selector("section.confirm")
    await page.click("section.confirm button[type=submit]")
    await page.wait_for_selector("#progress[data-status=rolled_back]")
    assert await _usernames(db) == []

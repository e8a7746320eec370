"""Browser flow (REC-05): build a three-condition AND/OR query in the builder, run it, see the matching
records, save it, and re-run it from the saved list — with JS (htmx swaps the builder and the results)
and without (every builder button is a GET that redirects to the query's bookmarkable URL)."""
import pytest

from e2e.helpers import BOTH, log_in
from tests.records.test_query import make_people


async def _act(page, mode, action) -> None:
    """Run a builder action and wait until the page (no JS) or the swapped block (JS) is there."""
    if mode == "js":
        async with page.expect_response(lambda r: "/admin/records/query" in r.url and r.request.method == "GET"):
            await action()
        await page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    else:
        async with page.expect_navigation():
            await action()


async def set_condition(page, mode, path: str, field: str, cmp: str, value: str, choose: bool = False) -> None:
    row = page.locator(f".qb-condition[data-path='{path}']")
    if mode == "js":  # the builder re-renders for the chosen field and operator
        await _act(page, mode, lambda: row.locator(f"select[name='c-{path}-field']").select_option(field))
        await _act(page, mode, lambda: row.locator(f"select[name='c-{path}-cmp']").select_option(cmp))
    else:
        await row.locator(f"select[name='c-{path}-field']").select_option(field)
        await row.locator(f"select[name='c-{path}-cmp']").select_option(cmp)
        if choose:  # a field with a list of values: ask the server for the matching value box
            await _act(page, mode, lambda: row.locator("button[value='refresh']").click())
    row = page.locator(f".qb-condition[data-path='{path}']")
    if choose:
        await row.locator(f"select[name='c-{path}-value']").select_option(value)
    else:
        await row.locator(f"input[name='c-{path}-value']").fill(value)


async def result_names(page) -> set[str]:
    cells = page.locator("#results table.data-table tbody tr td:nth-child(2) a")
    return {t.strip() for t in await cells.all_inner_texts()}


@pytest.mark.req("REC-05")
@BOTH
async def test_build_run_save_and_rerun_a_query(page, mode, db):
    await make_people(db)
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/records/query")
    await page.wait_for_selector(".query-builder .qb-condition[data-path='0']")

    # employer contains "QT-" AND (gender = female OR donation > 900)
    await set_condition(page, mode, "0", "employer", "contains", "QT-")
    await _act(page, mode, lambda: page.click("button[name=act][value='addg:']"))
    await page.wait_for_selector(".qb-group[data-path='1'] .qb-condition[data-path='1.0']")
    await _act(page, mode, lambda: page.click("button[name=act][value='add:1']"))
    await page.wait_for_selector(".qb-condition[data-path='1.1']")
    assert await page.locator("select[name='g-1-op']").input_value() == "or"
    await set_condition(page, mode, "1.0", "gender", "eq", "2", choose=True)
    await set_condition(page, mode, "1.1", "donation", "gt", "900")
    # earlier rows survive edits
    assert await page.locator("#query-builder input[name='c-0-value']").input_value() == "QT-"

    run = page.locator("#query-form button[name=run]")
    await _act(page, mode, lambda: run.click())
    await page.wait_for_selector(".query-summary:has-text('900')")
    assert await result_names(page) == {"乙测二", "丙测三", "丁测四"}

    await page.fill("#f-query-name", "女校友或大额捐赠")
    async with page.expect_navigation():
        await page.click("form.save-query button[type=submit]")
    await page.wait_for_selector("#saved-queries a.saved-query")
    saved = await db.fetchrow("SELECT * FROM rec_saved_query WHERE name = '女校友或大额捐赠'")
    assert saved is not None

    await page.goto("/admin/records/query")
    async with page.expect_navigation():
        await page.click("#saved-queries a.saved-query:has-text('女校友或大额捐赠')")
    await page.wait_for_selector("#results table.data-table")
    assert await result_names(page) == {"乙测二", "丙测三", "丁测四"}
    assert await page.locator("#query-builder select[name='c-1.0-value']").input_value() == "2"

"""Browser flow (REC-01, REC-10): at 1280×800 an admin filters the alumni list by college, shows every
column, and exports what the list shows. The page never scrolls sideways (the table scrolls inside its
column), short cells such as the college stay on one line, and the Export action carries the filters."""
import re

import pytest

from e2e.conftest import ARTIFACTS
from e2e.helpers import BOTH, log_in, zh

LAYOUT = """() => {
  const row = document.querySelector('.people-table tbody tr');
  const cell = label => [...row.querySelectorAll('td')].find(td => td.dataset.label === label);
  return {page: document.documentElement.scrollWidth, window: document.documentElement.clientWidth,
          college: cell('院系').clientHeight, phone: cell('手机号码').clientHeight,
          line: parseFloat(getComputedStyle(cell('院系')).lineHeight)};
}"""


async def _layout(page) -> dict:
    return await page.evaluate(LAYOUT)


def _one_line(m: dict) -> bool:
    padding = 16  # 7 px top and bottom padding of a data-table cell, plus borders
    return m["college"] <= m["line"] + padding and m["college"] == m["phone"]


@pytest.mark.req("REC-01")
@pytest.mark.req("REC-10")
@BOTH
async def test_list_fits_1280_and_exports_the_filtered_rows(page, mode, db):
    await page.set_viewport_size({"width": 1280, "height": 800})
    cs = await db.fetchval("SELECT id FROM org_node WHERE code = 'CS'")
    in_cs = await db.fetchval("SELECT count(DISTINCT p.id) FROM rec_person p JOIN rec_education e ON e.person = p.id"
                              " WHERE e.college = $1 AND p.status = 'active'", cs)
    await log_in(page, "admin", "Tongchuang2026")
    await page.goto("/admin/records")
    await page.select_option(".filter-bar select[name='college']", str(cs))
    if mode == "nojs":
        await page.click(".filter-bar button[type=submit]")
    await page.wait_for_url(re.compile(rf"college={cs}"))
    await page.wait_for_selector(f"#export-link[href*='college={cs}']")
    m = await _layout(page)
    assert m["page"] <= m["window"], m
    assert _one_line(m), m

    # every column: the table grows wider than its column and scrolls there, not the page
    await page.click(".col-chooser summary")
    for box in await page.locator(".col-chooser input[name=cols]").all():
        await box.check()
    await page.click(".col-chooser button[type=submit]")
    await page.wait_for_selector(".people-table td[data-label='学号']")
    m = await _layout(page)
    await page.screenshot(path=str(ARTIFACTS / f"records_list_1280_{mode}.png"))
    assert m["page"] <= m["window"], m
    assert _one_line(m), m
    assert await page.evaluate("() => { const t = document.querySelector('.people-table');"
                               " return t.scrollWidth > t.clientWidth; }")

    await page.click("#export-link")
    await page.wait_for_selector("#export-form")
    assert page.url.split("?")[0].endswith("/admin/records/export")
    assert zh("All %(n)s records of the current filter will be exported.", n=in_cs) in \
        await page.inner_text("#export-scope")
    assert await page.input_value("#export-form input[name=college]") == str(cs)
    assert await page.locator("#export-form input[name=cols][value=student_no]").is_checked()


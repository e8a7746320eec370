"""NFR-01: the shared components render complete, readable HTML/SVG on the server (no JS needed)."""
import re
from pathlib import Path

import pytest
import segno
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from app.core import cells, charts, qrcodes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env():
    environment = Environment(loader=FileSystemLoader(str(ROOT)), extensions=["jinja2.ext.i18n"], autoescape=True)
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(charts.TEMPLATE_GLOBALS)
    environment.globals.update(qrcodes.TEMPLATE_GLOBALS)
    environment.globals.update(cells.TEMPLATE_GLOBALS)  # the app's environment has them too (app.core.web)
    return environment


def macro(env, template: str, name: str):
    return getattr(env.get_template(f"components/{template}").module, name)


def bars(html: str) -> list[float]:
    return [float(h) for h in re.findall(r'<rect class="chart-bar"[^>]* height="([\d.]+)"', html)]


@pytest.mark.req("NFR-01")
def test_bar_chart_heights_are_proportional_and_numbers_are_in_a_table(env):
    series = [{"label": "计算机学院", "value": 120}, {"label": "Law", "value": 60}, {"label": "Arts", "value": 30}]
    html = str(macro(env, "chart.html", "bar_chart")(series, title="Alumni by college", unit=" ppl"))
    heights = bars(html)
    assert len(heights) == 3
    assert heights[1] == pytest.approx(heights[0] / 2, abs=0.02)
    assert heights[2] == pytest.approx(heights[0] / 4, abs=0.02)
    uid = re.search(r'aria-labelledby="([\w-]+)-title \1-desc"', html).group(1)
    assert f'<title id="{uid}-title">Alumni by college</title>' in html
    table = html[html.index('<table class="visually-hidden">'):]
    assert re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', table) == [
        ("计算机学院", "120 ppl"), ("Law", "60 ppl"), ("Arts", "30 ppl")]
    assert "<figcaption" in html and "<script" not in html


@pytest.mark.req("NFR-01")
def test_bar_chart_multiple_series_has_a_bar_per_value_and_a_legend(env):
    series = [{"label": "2019", "values": [4, 2]}, {"label": "2020", "values": [8, 0]}]
    html = str(macro(env, "chart.html", "bar_chart")(series, legend=["Men", "Women"]))
    heights = bars(html)
    assert len(heights) == 4 and heights[2] == pytest.approx(2 * heights[0], abs=0.02) and heights[3] == 0
    assert ">Men</text>" in html and '<th scope="col">Women</th>' in html


@pytest.mark.req("NFR-01")
def test_all_zero_and_negative_values_do_not_break_the_chart(env):
    bar_chart = macro(env, "chart.html", "bar_chart")
    assert bars(str(bar_chart([{"label": "a", "value": 0}, {"label": "b", "value": 0}]))) == [0.0, 0.0]
    geo = charts.bar_geometry([{"label": "gain", "value": 5}, {"label": "loss", "value": -5}])
    gain, loss = geo["bars"]
    assert gain["h"] == pytest.approx(loss["h"]) and gain["y"] + gain["h"] == loss["y"] == geo["zero_y"]
    assert charts.bar_geometry([{"label": "x", "value": None}])["bars"][0]["h"] == 0
    assert charts.bar_geometry([{"label": None, "value": 1}])["x_labels"][0]["text"] == ""  # SQL NULL label


@pytest.mark.req("NFR-01")
@pytest.mark.parametrize("name", ["bar_chart", "line_chart", "pie_chart"])
def test_empty_series_shows_the_empty_text(env, name):
    chart = macro(env, "chart.html", name)
    assert "No data" in str(chart([], title="Donations"))
    html = str(chart([], empty_text="No donations this year"))
    assert "No donations this year" in html and "<svg" not in html


@pytest.mark.req("NFR-01")
def test_pie_slices_cover_the_full_circle():
    slices = charts.pie_slices([{"label": "A", "value": 3}, {"label": "B", "value": 1}, {"label": "C", "value": 0},
                                {"label": "D", "value": 2.5}])
    assert sum(s["angle"] for s in slices) == pytest.approx(360)
    assert slices[-1]["end"] == pytest.approx(360) and slices[1]["start"] == slices[0]["end"]
    assert slices[0]["angle"] == pytest.approx(3 / 6.5 * 360) and slices[0]["percent_text"] == "46.2%"
    assert slices[0]["path"].startswith("M150,150L") and slices[2]["path"] == ""
    whole = charts.pie_slices([{"label": "only", "value": 7}])[0]
    assert whole["angle"] == 360 and whole["path"].count("A") == 2  # two half arcs, a single one would vanish
    assert [s["angle"] for s in charts.pie_slices([{"label": "a", "value": 0}, {"label": "b", "value": 0}])] == [0, 0]


@pytest.mark.req("NFR-01")
def test_pie_chart_draws_a_slice_per_positive_value_and_lists_shares(env):
    pie_chart = macro(env, "chart.html", "pie_chart")
    html = str(pie_chart([{"label": "北京", "value": 2}, {"label": "上海", "value": 1}, {"label": "<x>", "value": 1},
                          {"label": "none", "value": 0}], title="Branches"))
    assert html.count('<path class="chart-slice"') == 3
    assert "<td>50.0%</td>" in html and "&lt;x&gt;" in html and "<x>" not in html
    assert "No data" in str(pie_chart([{"label": "a", "value": 0}]))


@pytest.mark.req("NFR-01")
def test_line_chart_has_a_point_per_value(env):
    series = [{"label": str(year), "value": v} for year, v in zip(range(2020, 2024), (1, 3, 2, 4), strict=True)]
    html = str(macro(env, "chart.html", "line_chart")(series, title="Sign-ups"))
    points = re.search(r'<polyline class="chart-line-path" points="([^"]+)"', html).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    assert len(points) == 4 and ys[3] < ys[1] < ys[2] < ys[0]  # higher value, higher on screen
    assert html.count("<circle") == 4 and '<th scope="row">2023</th><td>4</td>' in html


@pytest.mark.req("NFR-01")
def test_qr_code_is_inline_svg_of_the_data(env):
    data = "https://alumni.example.edu/checkin/42?t=a&b"
    svg = qrcodes.qr_svg(data, 3)
    assert isinstance(svg, Markup) and svg.startswith("<svg") and "<?xml" not in svg and "<path" in svg
    modules = segno.make(data, error="m").symbol_size(scale=1)[0]
    assert f'width="{modules * 3}"' in svg
    html = str(macro(env, "qr.html", "qr_code")(data, size=160, label="Check-in <pass>"))
    width = int(re.search(r'<svg width="(\d+)"', html).group(1))
    scale = width // modules
    assert width == modules * scale and width <= 160 < modules * (scale + 1)  # largest whole-pixel scale that fits
    assert 'aria-label="Check-in &lt;pass&gt;"' in html and "<figcaption>Check-in &lt;pass&gt;</figcaption>" in html


@pytest.mark.req("NFR-01")
def test_tree_marks_the_selected_node_and_nests_branches(env):
    nodes = [{"id": 1, "name": "HQ", "children": [
        {"id": 2, "name": "CS College", "children": [{"id": 4, "name": "Class of 2008", "children": []}]},
        {"id": 3, "name": "Beijing <branch>"}]}]
    tree = macro(env, "tree.html", "tree")
    html = str(tree(nodes, selected="2", url="/admin/orgs?node=", counts={1: 120, 4: 31}))
    assert html.count("<details open>") == 2 and html.count("<ul") == 3
    assert html.count('aria-current="page"') == 1
    assert re.search(r'<li class="tree-node selected">\s*<details open><summary>'
                     r'<a class="tree-label" href="/admin/orgs\?node=2" aria-current="page">CS College</a>', html)
    assert '<span class="tree-count">120</span>' in html and '<span class="tree-count">31</span>' in html
    assert "Beijing &lt;branch&gt;" in html
    plain = str(tree(nodes))
    assert "<a " not in plain and "selected" not in plain and plain.count("tree-label") == 4


@pytest.mark.req("NFR-01")
def test_tabs_are_links_with_the_active_one_marked(env):
    tabs = macro(env, "tabs.html", "tabs")
    items = [("info", "Profile", "/admin/alumni/7"), ("edu", "Education", "/admin/alumni/7?tab=edu")]
    html = str(tabs(items, "edu"))
    assert re.findall(r'<a href="([^"]+)"( aria-current="page")?', html) == [
        ("/admin/alumni/7", ""), ("/admin/alumni/7?tab=edu", ' aria-current="page"')]
    assert "hx-get" not in html
    swapped = str(tabs(items, "info", target="#profile"))
    assert swapped.count('hx-target="#profile"') == 2 and 'hx-get="/admin/alumni/7?tab=edu"' in swapped


@pytest.mark.req("NFR-01")
def test_modal_and_confirm_form_work_as_plain_html(env):
    template = env.from_string('{% from "components/modal.html" import modal, confirm_form %}'
                               '{% call modal("delete-org", "Delete org node", close_href="/admin/orgs") %}'
                               '{{ confirm_form("/admin/orgs/5/delete", msg, "Delete", csrf) }}{% endcall %}')
    html = template.render(msg="Delete “CS” & its children?",
                           csrf=Markup('<input type="hidden" name="_csrf_token" value="t0k">'))
    assert 'aria-labelledby="delete-org-title"' in html and '<h2 id="delete-org-title">Delete org node</h2>' in html
    assert '<form method="post" action="/admin/orgs/5/delete"' in html
    assert 'hx-confirm="Delete “CS” &amp; its children?"' in html
    assert '<input type="hidden" name="_csrf_token" value="t0k">' in html
    assert '<a href="/admin/orgs/5">Cancel</a>' in html and 'class="danger"' in html
    assert 'href="/admin/orgs"' in html  # the close link is a real URL
    # A plain string is data, not markup: it must never be injected as HTML.
    unsafe = str(macro(env, "modal.html", "confirm_form")("/x/delete", "Sure?", "OK", "<b>x</b>", danger=False,
                                                           cancel_href="/x"))
    assert "&lt;b&gt;" in unsafe and 'class="primary"' in unsafe and '<a href="/x">Cancel</a>' in unsafe


@pytest.mark.req("NFR-01")
def test_stat_cards_and_empty_state(env):
    html = str(macro(env, "stat.html", "stat_cards")([
        {"label": "Alumni", "value": 12345, "href": "/admin/alumni", "trend": 12},
        {"label": "Donations", "value": "¥8.2万", "hint": "This year", "trend": "-3%"},
        {"label": "Events", "value": 0}]))
    assert html.count('<li class="stat-card">') == 3 and "12,345" in html
    assert '<a class="stat-card-body" href="/admin/alumni">' in html
    assert "stat-trend-up" in html and "+12" in html and "stat-trend-down" in html and "-3%" in html
    assert html.count("stat-trend ") == 2 and "This year" in html
    empty = str(macro(env, "empty.html", "empty_state")("No events", "Create one", "/admin/events/new", "New event"))
    assert '<a class="button" href="/admin/events/new">New event</a>' in empty and "No events" in empty

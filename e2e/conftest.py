"""Browser tests: the real app served by granian on a free port against the session database,
Debian's chromium driven by Playwright. Each flow runs with JS on and JS off (and alumni flows as a
phone inside WeChat). A failing test leaves a screenshot in e2e/artifacts/."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
MODES = {
    "js": {"java_script_enabled": True, "viewport": {"width": 1280, "height": 900}},
    "nojs": {"java_script_enabled": False, "viewport": {"width": 1280, "height": 900}},
    "phone": {"java_script_enabled": True, "viewport": {"width": 375, "height": 812}, "user_agent": WECHAT_UA,
              "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
}


@pytest.fixture(scope="session")
def live_server(database, smtp_sink):
    from tests.helpers import WebProcess

    with WebProcess(database, ARTIFACTS / "server.log", TC_RATELIMIT_FACTOR="100") as server:
        yield server.url


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        await b.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
async def page(request, browser, live_server, db):
    mode = getattr(request, "param", None) or request.node.callspec.params.get("mode", "js")
    context = await browser.new_context(base_url=live_server, locale="zh-CN", **MODES[mode])
    context.set_default_timeout(15000)
    pg = await context.new_page()
    pg.mode = mode  # type: ignore[attr-defined]
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace(":", "_").replace("[", "_").replace("]", "")
        with contextlib.suppress(Exception):
            await pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    await context.close()


@pytest.fixture(params=["js", "nojs"])
async def phone(request, browser, live_server, db):
    """A WeChat phone (375 px) with JavaScript on and off: the alumni-page test runs once per mode."""
    options = {**MODES["phone"], "java_script_enabled": request.param == "js"}
    context = await browser.new_context(base_url=live_server, locale="zh-CN", **options)
    context.set_default_timeout(15000)
    pg = await context.new_page()
    pg.mode = request.param  # type: ignore[attr-defined]
    yield pg
    await context.close()

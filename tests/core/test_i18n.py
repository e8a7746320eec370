"""NFR-03: every user-facing string is in both catalogs, translated, and not fuzzy."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _extract(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "lazy", "-k", "L", "-k", "N_", "-o", str(pot), "--no-location", "--omit-header", "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return read_po(f)


@pytest.mark.req("NFR-03")
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_catalog_complete(tmp_path, locale):
    template = _extract(tmp_path)
    po_path = ROOT / "locale" / locale / "LC_MESSAGES" / "messages.po"
    assert po_path.exists(), f"missing catalog {po_path}"
    with po_path.open("rb") as f:
        catalog = read_po(f)
    missing, untranslated, fuzzy = [], [], []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None:
            missing.append(message.id)
        elif not found.string or (isinstance(found.string, tuple) and not all(found.string)):
            untranslated.append(message.id)
        elif found.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{len(missing)} strings not in {locale} catalog, e.g. {missing[:5]}"
    assert not untranslated, f"{len(untranslated)} untranslated in {locale}, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {locale}, e.g. {fuzzy[:5]}"


@pytest.mark.req("NFR-03")
def test_chinese_is_default_and_english_switches():
    from app.core import i18n

    token = i18n.current_locale.set("zh_CN")
    try:
        assert i18n.gettext("Log in") != "Log in"  # translated to Chinese
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("Log in") == "Log in"
    finally:
        i18n.current_locale.reset(token)
    assert i18n.pick_locale(None, "en-US,en;q=0.9", None) == "en"
    assert i18n.pick_locale(None, None, None) == "zh_CN"


@pytest.mark.req("NFR-03")
async def test_pages_are_chinese_by_default_and_english_on_request(app, db):
    import httpx

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40002))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        chinese = await c.get("/login")
        english = await c.get("/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="zh-CN"' in chinese.text and "登录" in chinese.text and "Log in" not in chinese.text
    assert 'lang="en"' in english.text and "Log in" in english.text and "登录" not in english.text

"""Developer tooling for the gettext catalogs: extract, merge, apply translations, report gaps.

`python -m app i18n` keeps locale/*/messages.po in step with the source. English msgids are the
source language, so the en catalog is filled with identity translations; zh_CN needs a human
(or a translations JSON passed with --apply)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from app.config import ROOT

KEYWORDS = ("lazy", "L", "N_")
LOCALES = ("zh_CN", "en")


def extract() -> Catalog:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        cmd = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "--no-location",
               "--omit-header", "-o", str(pot)]
        for keyword in KEYWORDS:
            cmd += ["-k", keyword]
        subprocess.run([*cmd, "."], cwd=ROOT, check=True, capture_output=True)
        with pot.open("rb") as f:
            return read_po(f)


def po_path(locale: str) -> Path:
    return ROOT / "locale" / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="tongchuang", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def save(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, omit_header=False, no_location=True, sort_output=True, width=120)


def update(apply: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Merge the extracted template into every catalog; returns untranslated msgids per locale."""
    template = extract()
    gaps: dict[str, list[str]] = {}
    for locale in LOCALES:
        old = load(locale)
        new = Catalog(locale=locale, project="tongchuang", fuzzy=False)
        for message in template:
            if not message.id:
                continue
            previous = old.get(message.id)
            string = previous.string if previous is not None and not previous.fuzzy else ""
            if locale == "en":
                string = message.id
            elif apply and isinstance(message.id, str) and apply.get(message.id):
                string = apply[message.id]
            new.add(message.id, string=string, flags=[f for f in message.flags if f != "fuzzy"])
        save(new, locale)
        gaps[locale] = [m.id for m in new if m.id and not m.string]
    return gaps


def main(apply_file: str | None = None, dump_missing: str | None = None) -> int:
    apply = json.loads(Path(apply_file).read_text("utf-8")) if apply_file else None
    gaps = update(apply)
    for locale, missing in gaps.items():
        print(f"{locale}: {len(missing)} untranslated")
    if dump_missing:
        Path(dump_missing).write_text(json.dumps({m: "" for m in gaps["zh_CN"]}, ensure_ascii=False, indent=1), "utf-8")
        print(f"wrote {dump_missing}")
    return 1 if any(gaps.values()) else 0

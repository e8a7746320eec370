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
            plural = isinstance(message.id, (tuple, list))
            key = message.id[0] if plural else message.id  # translations files are keyed by the singular
            previous = old.get(message.id)
            string = previous.string if previous is not None and not previous.fuzzy else ("",) if plural else ""
            if locale == "en":
                string = tuple(message.id) if plural else message.id
            elif apply and apply.get(key):
                # zh_CN has one plural form (nplurals=1)
                string = (apply[key],) if plural else apply[key]
            new.add(message.id, string=string, flags=[f for f in message.flags if f != "fuzzy"])
        save(new, locale)
        gaps[locale] = [m.id[0] if isinstance(m.id, tuple) else m.id for m in new
                        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
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

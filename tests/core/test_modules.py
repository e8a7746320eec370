"""The module registry (app/modules.py + each module.py) is the one place a module's parts are wired in:
nothing a module holds is silently left out, and nothing listed is missing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import modules
from app.config import ROOT

HANDLER = re.compile(r"^@jobs\.handler\(", re.M)
ROUTES = re.compile(r"^ROUTES\b\s*(:[^=\n]*)?=", re.M)
SPEC = re.compile(r"^\w+\s*=\s*(imports\.)?register\(\s*(imports\.)?ImportSpec\(", re.M)


def _declared(module, attr: str) -> set[str]:
    return {f"{module.package}.{relative}" for relative in getattr(module, attr)}


def _files_matching(package: str, pattern: re.Pattern) -> set[str]:
    folder = ROOT / package.replace(".", "/")
    found = set()
    for path in folder.rglob("*.py"):
        if "piccolo_migrations" in path.parts or not pattern.search(path.read_text()):
            continue
        found.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


@pytest.mark.req("NFR-08")
@pytest.mark.parametrize("attr,pattern", [("routes", ROUTES), ("jobs", HANDLER), ("import_specs", SPEC)])
def test_every_route_job_and_import_file_is_declared_in_module_py(attr, pattern):
    for module in modules.load():
        # a jobs file may also register start-up warm-ups only; every handler's file must be listed
        declared, found = _declared(module, attr), _files_matching(module.package, pattern)
        assert (found <= declared if attr == "jobs" else found == declared), (module.name, attr, declared ^ found)


@pytest.mark.req("NFR-08")
def test_loading_registers_what_the_modules_declare():
    from app.core import jobs, menus, permissions

    loaded = modules.load()
    assert [m.name for m in loaded][:1] == ["support"]
    for module in loaded:
        for group in module.permissions:
            assert all(permissions.REGISTRY[code].group == group.name for code, _label, _kind in group.items)
        assert all(entry in menus.DECLARED for entry in module.menus)
        assert all(jobs.SCHEDULES[s.name][0] == s.kind for s in module.schedules)
        for relative in module.jobs:
            assert Path(module.file(relative).__file__).exists()
    assert modules.load() == loaded  # idempotent: a second activation registers nothing twice
    assert len(menus.DECLARED) == len({e.code for e in menus.DECLARED})

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


def _app_files():
    import ast

    for path in sorted((ROOT / "app").rglob("*.py")):
        if "piccolo_migrations" not in path.parts:
            yield ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"), ast.parse(
                path.read_text())


@pytest.mark.req("NFR-08")
def test_no_file_reaches_into_another_files_private_names():
    """A helper used by several files is public in the file that owns it (`changes._json` in four files was
    the smell): no `from x import _name`, no `module._name` on an imported app module."""
    import ast

    files = list(_app_files())
    app_modules = {name for name, _tree in files}
    offences = []
    for name, tree in files:
        imported = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__") and alias.name != "_":
                        offences.append(f"{name}: from {node.module} import {alias.name}")
                    if f"{node.module}.{alias.name}" in app_modules:
                        imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offences.append(f"{name}: {node.value.id}.{node.attr}")
    assert offences == [], "\n".join(offences)


@pytest.mark.req("NFR-08")
def test_services_and_other_modules_never_import_routes():
    """Routes sit on top of a module: only module.py (the table of contents) and other route files name them."""
    import ast

    offences = []
    for name, tree in _app_files():
        parts = name.split(".")
        if "routes" in parts or parts[-1] == "module" or name in ("app.main", "app.modules"):
            continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            if any(t.split(".")[2:3] == ["routes"] for t in targets):  # app.<module>.routes…
                offences.append(f"{name} imports {targets[0]}")
    assert offences == [], "\n".join(offences)


def _import_graph() -> dict[str, set[str]]:
    """app module → the app modules it imports (top level and inside functions), from the source."""
    import ast

    trees = dict(_app_files())
    graph: dict[str, set[str]] = {}
    for name, tree in trees.items():
        is_package = (ROOT / name.replace(".", "/") / "__init__.py").exists()
        package = name if is_package else name.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                for a in node.names:
                    targets.add(f"{base}.{a.name}" if f"{base}.{a.name}" in trees else base)
        graph[name] = {t for t in targets if t in trees and t != name}
    return graph


@pytest.mark.req("NFR-08")
def test_the_import_graph_has_no_cycle():
    """No two app modules import each other, directly or round a loop (function-level imports count: they
    hide a cycle, they do not remove it)."""
    graph = _import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []

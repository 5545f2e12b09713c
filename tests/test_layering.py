"""Imports run one way: metalearning builds on automl, automl never imports metalearning.

automl reaches metalearning's additions only through entry points (``automl.plugins``), so
the library works without it and no import cycle can form between the two packages.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from declared_plugins import declared

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("automl", "metalearning")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (inside functions too), by absolute name;
    ``importlib.import_module("...")`` and ``__import__("...")`` with a literal name count."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_checker_sees_imports_of_every_kind(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "automl").mkdir()
    module = tmp_path / "automl" / "sneaky.py"
    module.write_text(
        "import importlib\n"
        "def f():\n"
        "    from metalearning.metabase import Metabase\n"
        "    import metalearning.recommend as r\n"
        "    return importlib.import_module('metalearning.build')\n"
        "from . import data\n"
    )
    assert {
        "metalearning.metabase",
        "metalearning.recommend",
        "metalearning.build",
        "automl.data",
    } <= imported_modules(module)


@pytest.mark.parametrize("path", sources("automl"), ids=lambda p: module_name(p))
def test_automl_never_imports_metalearning(path):
    offending = sorted(
        m for m in imported_modules(path) if m == "metalearning" or m.startswith("metalearning.")
    )
    assert not offending, f"{module_name(path)} imports {offending}: use an entry point"


def test_no_import_cycle_between_the_packages():
    """No chain of imports leads from a metalearning module back into it through automl."""
    graph = {
        module_name(p): {m for m in imported_modules(p) if m.split(".")[0] in PACKAGES}
        for package in PACKAGES
        for p in sources(package)
    }
    assert any(m.startswith("automl") for m in graph["metalearning.recommend"])  # it builds on it
    for start in (m for m in graph if m.startswith("metalearning")):
        reached, todo = set(), [m for m in graph[start] if m.startswith("automl")]
        while todo:
            module = todo.pop()
            if module in reached:
                continue
            reached.add(module)
            todo.extend(graph.get(module, ()))  # names of attributes, not modules: no entry
        back = sorted(m for m in reached if m.startswith("metalearning"))
        assert not back, f"{start} -> automl -> {back}"


def test_importing_all_of_automl_loads_nothing_of_metalearning():
    modules = [module_name(p) for p in sources("automl") if not module_name(p).endswith("__main__")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'metalearning'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_the_declared_entry_points_load_what_automl_expects():
    from automl.warm_start import WarmStartSource

    sources_ = declared("automl.warm_start")
    assert set(sources_) == {"metabase"}
    assert isinstance(sources_["metabase"].load()(), WarmStartSource)
    commands = declared("automl.commands")
    assert set(commands) == {"metabase"} and callable(commands["metabase"].load())

"""The house rules of docs/architecture.md, checked on the source: the import contracts
(import-linter, configured in pyproject.toml), mypy on the Qt-free core, modules of at most
400 lines, and no module importing another module's private names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kinewrite"
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "egg-info" not in str(p))


def test_import_contracts_are_kept() -> None:
    pytest.importorskip("importlinter", reason="import-linter is in the test extra")
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
         " sys.exit(lint_imports_command())"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout and "5 kept" in out.stdout, out.stdout[-2000:]


def test_mypy_is_clean_on_the_core() -> None:
    pytest.importorskip("mypy", reason="mypy is in the test extra")
    out = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:]


def test_every_module_is_at_most_400_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in _modules()
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_no_module_imports_another_modules_private_names() -> None:
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                     .startswith("kinewrite")):
                found += [f"{path.relative_to(SRC)}: {node.module}.{a.name}"
                          for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == [], found


def _layout_in_the_doc() -> set[str]:
    """The module paths (relative to src/kinewrite) that docs/architecture.md §2 lists."""
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    block = text.split("## §2.", 1)[1].split("```", 2)[1]
    listed, folders = set(), []
    for line in block.splitlines()[1:]:
        if not line.strip() or not line.startswith("  "):
            continue
        depth = (len(line) - len(line.lstrip())) // 2 - 1
        name = line.split()[0]
        del folders[depth:]
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
        elif name.endswith(".py"):
            listed.add("/".join([*folders, name]))
    return listed


def test_the_layout_in_docs_architecture_matches_the_tree() -> None:
    tree = {str(p.relative_to(SRC)) for p in _modules()
            if p.name not in ("__main__.py",) and not (p.name == "__init__.py"
                                                       and p.parent != SRC)}
    listed = {m for m in _layout_in_the_doc()  # a package's own __init__ is its folder
              if m == "__init__.py" or not m.endswith("__init__.py")}
    assert sorted(tree - listed) == [], "modules missing from docs/architecture.md §2"
    assert sorted(listed - tree) == [], "docs/architecture.md §2 lists modules that do not exist"


def test_no_import_cycle() -> None:
    """No module imports itself through others (grimp, import-linter's graph, counts lazy and
    type-only imports too): strongly connected components of the import graph."""
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter")
    graph = grimp.build_graph("kinewrite")
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm, recursive (the graph is small)
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert cycles == [], cycles

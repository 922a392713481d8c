"""The layering rule: `tools` is the lowest run-time layer, so no module in it imports `agents` or `pipelines`.

Checked on the source (AST), every import statement included (those inside functions too), so a
lazy import cannot slip a dependency past it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("agents", "pipelines")


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file at `path`, a module of `package`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def layer_violations(root: Path) -> list[str]:
    violations = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent)
        parts = relative.with_suffix("").parts
        package = ".".join(parts if parts[-1] == "__init__" else parts[:-1]).removesuffix(".__init__")
        for line, module in imported_modules(path, package):
            if module.split(".")[0] in FORBIDDEN:
                violations.append(f"{relative}:{line} imports {module}")
    return violations


def test_tools_import_neither_agents_nor_pipelines() -> None:
    assert layer_violations(REPO / "tools") == []


@pytest.mark.parametrize(
    "source",
    [
        "from agents.lm.errors import ModelError",
        "import pipelines.gamegrammar",
        "def f():\n    from ...agents import x",
    ],
)
def test_the_scan_catches_each_kind_of_import(tmp_path: Path, source: str) -> None:
    module = tmp_path / "tools" / "music" / "deep.py"
    module.parent.mkdir(parents=True)
    module.write_text(source + "\n")
    assert len(layer_violations(tmp_path / "tools")) == 1

"""The structure the project promises (issue 9, DEVELOPERS.md): the import-linter layer contracts
hold, every module has its place in the layers, no function is longer than 120 lines, and no
function imports a project module (a function-level import is how a cycle hides)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "guardrails", "ingest", "web")
MAX_FUNCTION_LINES = 120


def source_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (PROJECT_ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def own_nodes(function: ast.AST):
    """The nodes of a function's body, not those of the functions defined inside it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def is_project_module(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in PACKAGES


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    if not lint_imports.exists():
        pytest.skip("lint-imports is not installed (pip install -e '.[test]')")
    done = subprocess.run([str(lint_imports), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_every_module_has_a_layer():
    """import-linter cannot put a layer inside another layer's package, so the layers contract
    names modules; a module missing from it would be checked by nothing."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    named = {
        part.strip().strip("()")
        for layer in layers
        for part in layer.replace("|", ":").split(":")
    }
    unplaced = []
    for path in source_files():
        name = module_name(path)
        if name in PACKAGES:
            continue
        if not any(name == layer or name.startswith(layer + ".") for layer in named):
            unplaced.append(name)
    assert not unplaced, f"modules missing from the layers contract in pyproject.toml: {unplaced}"


def test_no_function_is_longer_than_120_lines():
    long = [
        f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in source_files()
        for node in functions(parse(path))
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, "functions over 120 lines:\n" + "\n".join(long)


def test_no_function_imports_a_project_module():
    found = []
    for path in source_files():
        for function in functions(parse(path)):
            for node in own_nodes(function):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = ["." if node.level else node.module]
                else:
                    continue
                if any(name == "." or is_project_module(name) for name in names):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} in {function.name}()")
    assert not found, "function-level imports of project modules (import at module level instead):\n" + "\n".join(sorted(set(found)))

"""The design's separation rules, checked on the source so a shortcut cannot creep in unnoticed."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).parent.parent / "difflab"


def imported_modules(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("engine", ["engines/forward.py", "engines/reverse.py"])
def test_engines_import_no_sympy(engine):
    assert not any(m == "sympy" or m.startswith("sympy.") for m in imported_modules(PACKAGE / engine))


def test_symbolic_imports_no_engine():
    engines = {"difflab.engines.forward", "difflab.engines.reverse", "difflab.engines.transforms", "difflab.engines.finite_diff"}
    assert not imported_modules(PACKAGE / "methods" / "symbolic.py") & engines


def test_no_eval_or_exec_on_text():
    """Expression text reaches SymPy only through difflab's parser: no eval/exec/sympify/parse_expr."""
    banned = {"eval", "exec", "sympify", "parse_expr", "S"}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
                assert name not in banned or (name == "S" and not node.args), f"{path.name}: {name}()"

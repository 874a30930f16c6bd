"""The tables layer formats; every random draw lives in the model (src/retail_synth/model)."""

from __future__ import annotations

import ast

from tests.architecture.test_layers import PACKAGE

DRAWING_MODULES = ("retail_synth.spec.hashing", "retail_synth.spec.distributions")
DRAWING_CALLS = ("draw", "draw_from", "draw_labels", "choice", "conditional_draw", "uniform", "integers", "hash64")


def test_no_table_module_draws():
    found = []
    for path in sorted((PACKAGE / "tables").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in DRAWING_MODULES:
                found.append(f"{path.name}: imports {node.module}")
            if isinstance(node, ast.ImportFrom) and node.module == "retail_synth.spec":
                found += [f"{path.name}: imports {a.name}" for a in node.names if a.name in ("hashing", "distributions")]
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in DRAWING_CALLS:
                found.append(f"{path.name}:{node.lineno}: calls {ast.unparse(node.func)}")
    assert found == []

"""The package's import contract: layers import downwards only, and no modules import each other in a loop.

Every import counts, at module level, inside a function or under
TYPE_CHECKING alike: an import that only works because it is deferred is
still a dependency a reader has to hold in mind.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "retail_synth"

# bottom to top: a module may import its own layer and the layers before it, never one after it
LAYERS = ("spec", "model", "tables", "spark", "io", "checks", "report", "cli")
TOP = "retail_synth"        # the public API (retail_synth/__init__.py, __main__.py) sits above every layer


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str) -> set[str]:
    """The retail_synth modules that the file at `path` (module `name`) imports, resolved to module names."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m == TOP or m.startswith(TOP + ".")}


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports_of(path, name) if m in files and m != name} for name, path in files.items()}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return len(LAYERS)
    return LAYERS.index(parts[1])


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets
                  if b != TOP and layer(b) > layer(a) and not a.startswith(b + "."))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def without_packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Edges between modules; a package's own __init__ importing its children is not a loop with them."""
    return {a: {b for b in targets if not b.startswith(a + ".")} for a, targets in edges.items()}


def test_every_module_belongs_to_a_layer():
    assert {m.split(".")[1] for m in graph() if m.count(".") >= 1} <= {*LAYERS, "__main__"}


def test_no_layer_imports_a_layer_above_it():
    assert upward_imports(graph()) == []


def test_no_modules_import_each_other_in_a_loop():
    assert cycles(without_packages(graph())) == []


@pytest.mark.parametrize("edges, expected", [
    ({"retail_synth.spec.a": {"retail_synth.model.b"}, "retail_synth.model.b": set()},
     ["retail_synth.spec.a -> retail_synth.model.b"]),
    ({"retail_synth.model.b": {"retail_synth.spec.a"}, "retail_synth.spec.a": set()}, []),
])
def test_the_layer_rule_catches_an_upward_import(edges, expected):
    assert upward_imports(edges) == expected


def test_the_loop_rule_catches_a_loop():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]

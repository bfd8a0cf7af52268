"""The sandbox's modules import each other in one direction only (no cycles).

Why: a cycle (store ↔ company used to be one) makes import order matter and hides which module
owns what. Every import counts here, lazy ones and type-only ones included.
"""

from __future__ import annotations

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "reconciler" / "sandbox"


def _graph() -> dict[str, set[str]]:
    modules = {}
    for path in SANDBOX.rglob("*.py"):
        parts = list(path.relative_to(SANDBOX.parent.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    child = f"{module}.{alias.name}"
                    found.add(child if child in modules else module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_import_cycles_in_the_sandbox() -> None:
    graph = _graph()
    assert "reconciler.sandbox.store" in graph and "reconciler.sandbox.company" in graph
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, f"import cycles: {cycles}"

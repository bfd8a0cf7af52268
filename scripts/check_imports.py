"""Fail when the package's modules import each other in a circle of more than two.

Layers should point one way: a module low in the stack (the kinds table, the field types,
the account's vocabulary) must not reach up into one above it, not even through an import
made inside a function to dodge the circle at start-up. Python tolerates such circles, so
nothing else would notice them; this script does. It reads every module of `reconciler/`
with `ast` (nothing is imported), collects every `import` and `from ... import` wherever it
stands (module level, inside functions, inside `if TYPE_CHECKING:`), builds the graph of
module -> module and prints each strongly connected component of more than one module.

What counts as an edge:
- `import a.b.c` and `from a.b import c` (when `a/b/c.py` or `a/b/c/` exists) point at `a.b.c`;
  `from a.b import name` points at `a.b`.
- An import under `if TYPE_CHECKING:` is left out: it is never executed, and types that refer to
  each other (a field type takes a conversion context whose vocabulary hands out field specs)
  are one design, not a load order. `--types` counts them too, to see those circles.
- Importing `a.b.c` also runs `a/__init__.py` and `a/b/__init__.py`; those implicit edges are not
  counted, or every package whose `__init__` re-exports its modules would be a circle.

A circle of two (a package's `__init__` and one of its modules, a module and its helper) is
allowed: it is local and visible in one directory. Larger ones fail.

Usage: python scripts/check_imports.py [--types] [--max N]   (exit 1 on a larger circle)
tests/core/test_import_layers.py runs it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "reconciler"
MAX_CIRCLE = 2


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, runtime_only: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, at any depth (functions, classes, ifs, trys)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if runtime_only and isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def import_graph(root: Path = ROOT, package: str = PACKAGE, runtime_only: bool = True) -> dict[str, set[str]]:
    """module -> the package's modules it imports (anywhere in its text)."""
    files = module_files(root, package)
    graph: dict[str, set[str]] = {name: set() for name in files}

    def known(name: str) -> str | None:
        while name and name not in files:  # `import a.b.thing` where thing is not a module
            name = name.rpartition(".")[0]
        return name or None

    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree, runtime_only):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve_base(name, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in files else base)
            for target in targets:
                if target.split(".")[0] != package:
                    continue
                resolved = known(target)
                if resolved and resolved != name:
                    graph[name].add(resolved)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--types", action="store_true", help="count imports under `if TYPE_CHECKING:` too")
    parser.add_argument("--max", type=int, default=MAX_CIRCLE, help="largest circle allowed (default 2)")
    args = parser.parse_args(argv)
    graph = import_graph(runtime_only=not args.types)
    edges = sum(len(targets) for targets in graph.values())
    found = circles(graph)
    print(f"{len(graph)} modules, {edges} imports (inside functions included"
          f"{', TYPE_CHECKING included' if args.types else ', TYPE_CHECKING left out'})")
    too_big = [c for c in found if len(c) > args.max]
    for component in found:
        verdict = "FAIL" if len(component) > args.max else "ok  "
        print(f"{verdict} circle of {len(component)}: {', '.join(short(m) for m in component)}")
    if too_big:
        print(f"{len(too_big)} import circle(s) of more than {args.max} modules")
        return 1
    print(f"no import circle of more than {args.max} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

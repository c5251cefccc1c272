"""podid's import graph, read from the source with :mod:`ast` (nothing is imported).

Every ``import`` / ``from ... import`` counts, at module level or inside a function, except those
under ``if TYPE_CHECKING:`` (they never run). ``from pkg import name`` is an edge to ``pkg.name``
when that is a module, else to ``pkg``; importing ``a.b.c`` also runs ``a`` and ``a.b``, so those
edges are there too (a package's ``__init__`` is part of every import below it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Graph:
    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=dict)
    #: (importer, imported) -> line numbers, for messages
    lines: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def build(package: str = "podid") -> Graph:
    root = SRC / package
    graph = Graph({_module_name(p): p for p in sorted(root.rglob("*.py"))})
    for name, path in graph.modules.items():
        is_pkg = path.name == "__init__.py"
        here = name if is_pkg else name.rpartition(".")[0]
        targets: list[tuple[str, int]] = []
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets += [(alias.name, node.lineno) for alias in node.names]
                continue
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append((sub if sub in graph.modules else base, node.lineno))
        for target, line in targets:
            for mod in _with_parents(target):
                if mod in graph.modules and mod != name and not name.startswith(mod + "."):
                    graph.edges.setdefault(name, set()).add(mod)
                    graph.lines.setdefault((name, mod), []).append(line)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in graph.modules:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.edges.get(start, ()))))]
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
                    work.append((child, iter(sorted(graph.edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def describe(graph: Graph, component: list[str]) -> str:
    """The edges inside one cycle, with line numbers."""
    members = set(component)
    lines = []
    for src in component:
        for dst in sorted(graph.edges.get(src, set()) & members):
            lines.append(f"  {src} -> {dst} (line {', '.join(map(str, graph.lines[(src, dst)]))})")
    return "\n".join(lines)


if __name__ == "__main__":
    g = build()
    for comp in cycles(g):
        print(f"cycle of {len(comp)}:")
        print(describe(g, comp))

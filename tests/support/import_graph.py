"""Read a package's import graph from its source and check it against a layer table.

Every import counts, wherever it sits: at module level, inside a function (a deferred
import), under `if TYPE_CHECKING:` (a type-only import: it still says which module
knows about which), and `importlib.import_module("literal")`. A dynamic import whose
target cannot be read from the source is reported, so nothing hides from the graph.

The layer table is markdown (docs/architecture.md): rows from the top layer down, each
naming its units (a unit is a top-level module or package of the root package). A unit
may import units of lower rows; units of the same row only where the same-layer table
lists the pair; never a higher row. Circles are found between modules and between units.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

RUNTIME = "runtime"
DEFERRED = "deferred"
TYPE_ONLY = "type-only"
IMPORTLIB = "importlib"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.kind}, line {self.line})"


@dataclass(frozen=True)
class Graph:
    root: str
    modules: dict[str, Path]
    edges: list[Edge]
    dynamic: list[str]  # "module:line" of an import whose target the source does not name

    def unit(self, module: str) -> str:
        """The layer unit a module belongs to: `pkg.ui.app` -> `ui`, `pkg` -> `__init__`."""
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    def units(self) -> set[str]:
        return {self.unit(module) for module in self.modules}


@dataclass(frozen=True)
class LayerTable:
    layers: dict[str, int]  # unit -> row; 0 is the top row
    same_layer: set[tuple[str, str]]  # (importer, imported) allowed within one row


def module_name(path: Path, package_dir: Path) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_graph(package_dir: Path) -> Graph:
    modules = {module_name(path, package_dir): path for path in sorted(package_dir.rglob("*.py"))}
    edges: list[Edge] = []
    dynamic: list[str] = []
    for name, path in modules.items():
        found, unresolved = _imports_of(path, name, package_dir.name, modules)
        edges.extend(edge for edge in found if edge.target in modules and edge.target != name)
        dynamic.extend(f"{name}:{line}" for line in unresolved)
    return Graph(package_dir.name, modules, edges, dynamic)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_dynamic_import(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ("import_module", "__import__")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def _imports_of(path: Path, name: str, root: str, modules: dict[str, Path]) -> tuple[list[Edge], list[int]]:
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: list[Edge] = []
    unresolved: list[int] = []

    def add(target: str, kind: str, line: int) -> None:
        if target == root or target.startswith(root + "."):
            edges.append(Edge(name, target, kind, line))

    def visit(node: ast.AST, kind: str) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, TYPE_ONLY)
            for child in node.orelse:
                visit(child, kind)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and kind == RUNTIME:
            for child in ast.iter_child_nodes(node):
                visit(child, DEFERRED)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, kind, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            for submodule in submodules:
                add(submodule if submodule in modules else target, kind, node.lineno)
        elif isinstance(node, ast.Call) and _is_dynamic_import(node):
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                add(argument.value, IMPORTLIB, node.lineno)
            else:
                unresolved.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, kind)

    visit(tree, RUNTIME)
    return edges, unresolved


def read_layer_table(markdown: str) -> LayerTable:
    """The two tables under `## Layers` and `## Same-layer imports` of the architecture doc.

    Layers: each row's first cell names its units in backticks (`ui`, `commands`).
    Same-layer imports: each row's first two cells are one unit importing another."""
    layers: dict[str, int] = {}
    for row, cells in enumerate(_table_rows(markdown, "Layers")):
        for unit in re.findall(r"`([^`]+)`", cells[0]):
            if unit in layers:
                raise ValueError(f"{unit} has two rows in the layer table")
            layers[unit] = row
    same_layer = set()
    for cells in _table_rows(markdown, "Same-layer imports"):
        importer, imported = (re.findall(r"`([^`]+)`", cell) for cell in cells[:2])
        same_layer.add((importer[0], imported[0]))
    if not layers:
        raise ValueError("no `## Layers` table found")
    return LayerTable(layers, same_layer)


def _table_rows(markdown: str, heading: str) -> list[list[str]]:
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    if section is None:
        return []
    rows = [line.strip().strip("|").split("|") for line in section.group(1).splitlines() if line.lstrip().startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # past the header and its --- line


def circles(nodes: set[str], edges: set[tuple[str, str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one node (Tarjan's, iterative)."""
    outgoing: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in sorted(edges):
        outgoing[source].append(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(outgoing[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(outgoing[target])))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def module_circles(graph: Graph) -> list[frozenset[str]]:
    return circles(set(graph.modules), {(edge.source, edge.target) for edge in graph.edges})


def unit_circles(graph: Graph) -> list[frozenset[str]]:
    pairs = {(graph.unit(edge.source), graph.unit(edge.target)) for edge in graph.edges}
    return circles(graph.units(), {pair for pair in pairs if pair[0] != pair[1]})


def layer_problems(graph: Graph, table: LayerTable) -> list[str]:
    """Edges that point up the table, or sideways without being listed; units the table lacks."""
    problems = [f"{unit} has no row in the layer table" for unit in sorted(graph.units() - set(table.layers))]
    problems += [f"the layer table names {unit}, which does not exist" for unit in sorted(set(table.layers) - graph.units())]
    for edge in graph.edges:
        source, target = graph.unit(edge.source), graph.unit(edge.target)
        if source == target or source not in table.layers or target not in table.layers:
            continue
        if source == "__init__" and edge.target.startswith(graph.root + "."):
            continue  # the package's own __init__ may re-export its modules
        if table.layers[target] < table.layers[source]:
            problems.append(f"upward: {edge}")
        elif table.layers[target] == table.layers[source] and (source, target) not in table.same_layer:
            problems.append(f"same layer, not listed: {edge}")
    return problems


def unused_same_layer(graph: Graph, table: LayerTable) -> list[str]:
    """Listed same-layer pairs no import uses any more: the table says more than the code."""
    used = {(graph.unit(edge.source), graph.unit(edge.target)) for edge in graph.edges}
    return sorted(f"{a} -> {b}" for a, b in table.same_layer - used)


def unexplained_deferred_imports(package_dir: Path) -> list[str]:
    """Imports inside a function with no comment saying why: none on the statement, on another import
    of the same run of imports, or on the line just above that run. (The why is a heavy library
    deferred until needed, or a missing package caught as one line.)"""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines), str(path))

        def said(first: int, last: int) -> bool:
            above = lines[first - 2].strip() if first >= 2 else ""
            return above.startswith("#") or any("#" in lines[number - 1] for number in range(first, last + 1))

        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                for body in (getattr(node, field, None) for field in ("body", "orelse", "finalbody", "handlers")):
                    if not isinstance(body, list):
                        continue
                    runs: list[list[ast.stmt]] = []
                    for statement in body:
                        if isinstance(statement, (ast.Import, ast.ImportFrom)):
                            if runs and runs[-1][-1] is not None and body.index(runs[-1][-1]) == body.index(statement) - 1:
                                runs[-1].append(statement)
                            else:
                                runs.append([statement])
                    for run in runs:
                        if not said(run[0].lineno, run[-1].end_lineno or run[-1].lineno):
                            found += [f"{module_name(path, package_dir)}:{statement.lineno}" for statement in run]
    return sorted(set(found))

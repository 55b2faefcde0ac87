"""The import graph of rtchat/: no circles, and arrows only point down the layers.

Read from the source with `ast` (every import, at module level or inside a
function, outside `if TYPE_CHECKING:`), so a function-level import cannot hide a
cycle. Layers follow shared/ARCHITECTURE.md: a module may import its own layer
or any layer below, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rtchat"

# Lower number = lower layer. A module's layer is its first path part under rtchat/.
LAYERS = {
    "events": 0, "sanitize": 0,
    "catalog": 1, "errors": 1, "secrets": 1, "pricing": 1, "attachments": 1,
    "target": 2, "config": 2, "config_rules": 2, "theme_names": 2, "conversation": 2, "answer": 2, "metrics": 2, "retry": 2, "model_list": 2,
    "wire": 3, "debuglog": 3,
    "loopback": 4, "audio": 4, "store": 4, "history": 5, "export": 5,
    "transports": 5,
    "turns": 6, "live": 6,
    "voice": 7,
    "session": 8, "run": 8,
    "bench": 9, "race": 9,
    "commands": 10, "ui": 10,
    "cli": 11, "__main__": 12, "__init__": 0,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("rtchat"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("rtchat"):
                submodules = {f"{target}.{alias.name}" for alias in node.names}
                found.update(submodules)
                if not all(_is_module(name) for name in submodules):
                    found.add(target)  # `from package import module` needs the module, not the package's own names
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in imports_of(path) if t in modules and t != name}
        edges[name] = targets
    return edges


def layer(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS[key]


def test_every_module_has_a_layer():
    missing = sorted({m.split(".")[1] for m in graph() if "." in m and m.split(".")[1] not in LAYERS})
    assert missing == []


def test_arrows_point_down():
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in graph().items()
        for target in targets
        if layer(target) > layer(source) and not target.startswith(source + ".")  # a package's __init__ may re-export its own modules
    )
    assert upward == []


def test_no_circles():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    assert cycles == []


def test_every_exception_rtchat_defines_is_in_the_error_tree():
    """One base (rtchat.errors.RtchatError): a caller catches rtchat's failures without a list of unrelated classes."""
    import importlib

    from rtchat.errors import RtchatError

    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name.startswith("rtchat.loopback"):  # the reference server's own errors never reach a user of rtchat
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception", "Failure", "Unavailable")) for b in node.bases):
                cls = getattr(importlib.import_module(name), node.name)
                if issubclass(cls, BaseException) and not issubclass(cls, RtchatError) and not node.name.startswith("_"):
                    outside.append(f"{name}.{node.name}")
    assert outside == []

"""The import graph of rtchat/ against the layer table in docs/architecture.md.

Every import counts (module level, inside a function, under `if TYPE_CHECKING:`,
`importlib.import_module`), read from the source with `ast` by tests/support/import_graph.py.
The last tests run that checker on tiny package trees built in tmp_path, to show it
catches what it claims to: a type-only circle, an unlisted same-layer import, an arrow up.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.support.import_graph import (
    DEFERRED,
    IMPORTLIB,
    TYPE_ONLY,
    layer_problems,
    module_circles,
    module_name,
    read_graph,
    read_layer_table,
    unexplained_deferred_imports,
    unit_circles,
    unused_same_layer,
)

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "rtchat"
ARCHITECTURE = REPO / "docs" / "architecture.md"

# Circles a task is removing right now, listed here, and only here, so the test passes meanwhile;
# none today (turns <-> live and app <-> its last mixin are gone). A circle not listed fails,
# and so does a listed one that is gone (so the list cannot outlive the circles).
KNOWN_CIRCLES: set[frozenset[str]] = set()

# `importlib.import_module("rtchat....")` calls rtchat may make (counted as edges above); none today.
IMPORTLIB_IMPORTS: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def graph():
    return read_graph(PACKAGE)


@pytest.fixture(scope="module")
def table():
    return read_layer_table(ARCHITECTURE.read_text())


def test_arrows_point_down_the_documented_layers(graph, table):
    assert layer_problems(graph, table) == []


def test_every_listed_same_layer_import_is_used(graph, table):
    assert unused_same_layer(graph, table) == []


def test_no_circles_at_runtime_in_functions_or_through_type_only_imports(graph):
    found = set(module_circles(graph)) | set(unit_circles(graph))
    assert sorted(map(sorted, found - KNOWN_CIRCLES)) == [], "a circle: move the type or function to the module where it belongs"
    assert sorted(map(sorted, KNOWN_CIRCLES - found)) == [], "a known circle is gone: remove it from KNOWN_CIRCLES"


def test_every_dynamic_import_names_its_module(graph):
    assert graph.dynamic == []
    assert {(edge.source, edge.target) for edge in graph.edges if edge.kind == IMPORTLIB} == IMPORTLIB_IMPORTS


def test_the_graph_sees_type_only_and_deferred_imports(graph):
    # Guards the reader itself on the real tree: these edges exist in rtchat today.
    kinds = {(edge.source, edge.target): edge.kind for edge in graph.edges}
    assert kinds[("rtchat.request_errors", "rtchat.target")] == TYPE_ONLY
    assert kinds[("rtchat.cli", "rtchat.commands.tui")] == DEFERRED


def test_every_import_inside_a_function_says_why():
    """An import inside a function defers a heavy library (or catches a missing one) and says so;
    any other import belongs at the top of its module."""
    assert unexplained_deferred_imports(PACKAGE) == []


def test_wire_formats_import_no_network_library():
    """wire/ is pure (bytes in, events out), so it can be fuzzed and split anywhere: no HTTP or socket client."""
    network = {"httpx", "httpx_sse", "aiohttp", "websockets", "aiortc", "socket", "ssl", "asyncio"}
    found = []
    for path in sorted((PACKAGE / "wire").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in network]
    assert found == []


def test_every_exception_rtchat_defines_is_in_the_error_tree():
    """One base (rtchat.errors.RtchatError): a caller catches rtchat's failures without a list of unrelated classes."""
    from rtchat.errors import RtchatError

    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path, PACKAGE)
        if name.startswith("rtchat.loopback"):  # the reference server's own errors never reach a user of rtchat
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception", "Failure", "Unavailable")) for b in node.bases):
                cls = getattr(importlib.import_module(name), node.name)
                if issubclass(cls, BaseException) and not issubclass(cls, RtchatError) and not node.name.startswith("_"):
                    outside.append(f"{name}.{node.name}")
    assert outside == []


# ---- the checker on package trees built for the purpose

TABLE = """
## Layers

| units | job |
|---|---|
| `app` | top |
| `lower`, `side` | one row |
| `base`, `__init__` | bottom |

## Same-layer imports

| importer | imported | why |
|---|---|---|
{same_layer}
"""


def fake_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "fakepkg"
    for relative, source in {"__init__.py": "", **files}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return package


def test_a_circle_through_a_type_checking_import_fails(tmp_path):
    package = fake_package(tmp_path, {
        "base/__init__.py": "",
        "base/errors.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fakepkg.base.config import Settings\n",
        "base/config.py": "from fakepkg.base.errors import Failure\n",
    })
    graph = read_graph(package)
    assert [edge.kind for edge in graph.edges if edge.source == "fakepkg.base.errors"] == [TYPE_ONLY]
    assert module_circles(graph) == [frozenset({"fakepkg.base.errors", "fakepkg.base.config"})]


def test_a_circle_through_an_import_inside_a_function_fails(tmp_path):
    package = fake_package(tmp_path, {
        "base/__init__.py": "",
        "base/a.py": "def later():\n    from fakepkg.base import b  # deferred\n",
        "base/b.py": "from . import a\n",
    })
    assert module_circles(read_graph(package)) == [frozenset({"fakepkg.base.a", "fakepkg.base.b"})]


def test_an_unlisted_same_layer_import_fails_and_a_listed_one_passes(tmp_path):
    package = fake_package(tmp_path, {"app.py": "", "lower.py": "import fakepkg.side\n", "side.py": "", "base.py": ""})
    graph = read_graph(package)
    unlisted = read_layer_table(TABLE.format(same_layer=""))
    assert layer_problems(graph, unlisted) == ["same layer, not listed: fakepkg.lower -> fakepkg.side (runtime, line 1)"]
    listed = read_layer_table(TABLE.format(same_layer="| `lower` | `side` | why not |"))
    assert layer_problems(graph, listed) == []
    assert unused_same_layer(graph, listed) == []
    assert unused_same_layer(read_graph(fake_package(tmp_path / "other", {"app.py": "", "lower.py": "", "side.py": "", "base.py": ""})), listed) == ["lower -> side"]


def test_an_arrow_up_fails_even_when_type_only_and_a_unit_without_a_row_fails(tmp_path):
    package = fake_package(tmp_path, {
        "app.py": "", "lower.py": "", "side.py": "",
        "base.py": "import typing\nif typing.TYPE_CHECKING:\n    from fakepkg.app import App\n",
        "stray.py": "",
    })
    problems = layer_problems(read_graph(package), read_layer_table(TABLE.format(same_layer="")))
    assert problems == ["stray has no row in the layer table", "upward: fakepkg.base -> fakepkg.app (type-only, line 3)"]


def test_importlib_calls_are_edges_and_a_computed_name_is_reported(tmp_path):
    package = fake_package(tmp_path, {
        "app.py": "import importlib\ndef load(name):\n    importlib.import_module('fakepkg.lower')\n    return importlib.import_module(name)\n",
        "lower.py": "", "side.py": "", "base.py": "",
    })
    graph = read_graph(package)
    assert [(edge.target, edge.kind) for edge in graph.edges] == [("fakepkg.lower", IMPORTLIB)]
    assert graph.dynamic == ["fakepkg.app:4"]


def test_an_import_inside_a_function_without_a_comment_is_reported(tmp_path):
    package = fake_package(tmp_path, {"app.py": (
        "def quiet():\n    import json\n"
        "def said():\n    import numpy  # deferred: numpy, ~100 ms\n    import numpy.linalg\n"
        "def above():\n    # deferred: the voice libraries\n    import wave\n"
    )})
    assert unexplained_deferred_imports(package) == ["fakepkg.app:2"]


def test_a_circle_between_packages_fails_though_no_module_circle_exists(tmp_path):
    package = fake_package(tmp_path, {
        "lower/__init__.py": "", "lower/a.py": "from fakepkg.side import c\n", "lower/b.py": "",
        "side/__init__.py": "", "side/c.py": "", "side/d.py": "from fakepkg.lower import b\n",
    })
    graph = read_graph(package)
    assert module_circles(graph) == []
    assert unit_circles(graph) == [frozenset({"lower", "side"})]

"""The shape of rtchat/ui/: no probing of rtchat's own objects, and controllers that never reach into the app."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[1] / "rtchat" / "ui"


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    found |= {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    found |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return found


def test_no_getattr_hasattr_or_inspect_in_the_ui():
    probing = {
        str(path.relative_to(UI)): sorted(_names_used(path) & {"getattr", "hasattr", "inspect"})
        for path in UI.rglob("*.py")
    }
    assert {name: used for name, used in probing.items() if used} == {}


def test_controllers_get_their_dependencies_and_never_touch_the_app():
    reaching = []
    for path in (UI / "controllers").glob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "app":
                reaching.append(f"{path.name}:{node.lineno} .app")
            if isinstance(node, ast.ImportFrom) and node.module in ("textual.app", "rtchat.ui.app"):
                reaching.append(f"{path.name}:{node.lineno} imports {node.module}")
    assert reaching == []

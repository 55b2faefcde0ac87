"""The official SDKs (openai, anthropic, google-genai), imported when a test first touches them.

Together they take about 3 s of CPU to import. Imported at the top of a test module, every
xdist worker paid that while collecting, whether or not it ran an SDK test; this way only the
workers that run one do. The stdlib's `LazyLoader` defers the module's execution to its first
attribute access.

Test modules reach them as `sdk.openai` (`from tests.support import lazy_sdks as sdk`), not as
names of their own: collecting a module, pytest looks at every name in it, and that look would
load the SDK."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """`name`, loaded on first attribute access (at once if something imported it already)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, name
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


openai = lazy("openai")
anthropic = lazy("anthropic")
genai = lazy("google.genai")

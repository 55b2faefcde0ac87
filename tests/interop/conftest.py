"""The interop suite runs only under `scripts/interop` (which sets RTCHAT_INTEROP=1).

The main suite (`pytest`, testpaths = tests) walks into this directory too: without the
variable nothing here is imported or collected, so it costs the main run nothing."""

import os

import pytest

if os.environ.get("RTCHAT_INTEROP") != "1":
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config, items):
    """Belt and braces: a file named on the command line without the variable is skipped, not run."""
    if os.environ.get("RTCHAT_INTEROP") == "1":
        return
    here = os.path.dirname(__file__)
    skip = pytest.mark.skip(reason="interop suite: run it with scripts/interop (RTCHAT_INTEROP=1)")
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)

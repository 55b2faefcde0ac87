"""The interop suite runs only under `scripts/interop` (which sets RTCHAT_INTEROP=1).

The main suite (`pytest`, testpaths = tests) walks into this directory too: without the
variable nothing here is imported or collected, so it costs the main run nothing."""

import os
import platform

import pytest

from rtchat import __version__

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


# ------------------------------------------------------------------ the pass table (server x path)

ROWS: dict[tuple[str, str], dict] = {}
NODES: dict[str, tuple[str, str]] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "route(path): the interop pass table's path column (the server is the module's SERVER)")


def pytest_collection_finish(session):
    for item in session.items:
        marker = item.get_closest_marker("route")
        server = getattr(item.module, "SERVER", item.module.__name__)
        NODES[item.nodeid] = (server, marker.args[0] if marker else item.name)


def pytest_runtest_logreport(report):
    if report.nodeid not in NODES:
        return
    server, path = NODES[report.nodeid]
    if report.when == "setup" and report.duration > 1:  # a module fixture starting its servers
        start = ROWS.setdefault((server, "(servers start, ready)"), {"passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "reason": ""})
        start["seconds"] += report.duration
        start["passed" if report.passed else "failed" if report.failed else "skipped"] += 1
    row = ROWS.setdefault((server, path), {"passed": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "reason": ""})
    if report.when == "call":
        row["seconds"] += report.duration
        row["passed" if report.passed else "failed"] += 1
    elif report.skipped:
        row["skipped"] += 1
        row["reason"] = str(report.longrepr[2]).removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else ""
    elif report.failed:  # an error in setup or teardown
        row["failed"] += 1


def table() -> str:
    lines = ["| server | path | result | passed / run | time (s) |", "| --- | --- | --- | --- | --- |"]
    for (server, path), row in ROWS.items():
        run = row["passed"] + row["failed"]
        result = "fail" if row["failed"] else "pass" if row["passed"] else f"skipped: {row['reason']}"
        lines.append(f"| {server} | {path} | {result} | {row['passed']} / {run} | {row['seconds']:.1f} |")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter):
    if not ROWS or os.environ.get("RTCHAT_INTEROP") != "1":
        return
    terminalreporter.write_sep("=", "interop pass table")
    from tests.interop.procs import VERSIONS

    ran = {"rtchat (client)": f"rtchat {__version__}, Python {platform.python_version()}", **VERSIONS}
    text = table() + "\n\nversions that ran:" + "".join(f"\n- {server}: {versions}" for server, versions in ran.items())
    terminalreporter.write_line(text)
    out = os.environ.get("RTCHAT_INTEROP_TABLE")
    if out:
        with open(out, "w") as handle:
            handle.write(text + "\n")

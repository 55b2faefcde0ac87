"""Every benchmark of the project behind one command, with one JSON to compare runs by.

    python benchmarks/run_all.py [--quick] [--json OUT] [--compare OLD.json] [--only NAME ...]

Runs each benchmarks/bench_*.py that exists as a subprocess with `--json TMPFILE`
(and smaller sizes under --quick, passing only flags the script's own --help
lists), plus `rtchat bench` against the loopback; prints a summary table and
rtchat's client overhead next to bare httpx and bare websockets loops (target:
< 2 ms on time to first token) and its own time per tool call (target: < 5 ms). `--compare` prints the change of every median.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OVERHEAD_TARGET_MS = 2.0
TOOL_OVERHEAD_TARGET_MS = 5.0

# Smaller sizes for --quick, per script; a flag is passed only if the script's --help lists it.
QUICK_ARGS: dict[str, list[str]] = {
    "bench_ttft": ["--runs", "10"],
    "bench_ws_overhead": ["--runs", "10"],
    "bench_tool_overhead": ["--calls", "10", "--rounds", "3"],
    "bench_socket_tool_overhead": ["--calls", "10", "--rounds", "3"],
    "bench_history": ["--conversations", "1000", "--messages", "20000", "--repeats", "3"],
    "bench_render": ["--rates", "100,1000", "--seconds", "2", "--big", "2000"],
    "bench_startup": ["--messages", "200", "--runs", "2"],
    "bench_share": ["--rounds", "2", "--seconds", "5"],
}
RTCHAT_BENCH_RUNS = {"quick": "3", "full": "10"}


def script_help(path: Path) -> str:
    try:
        done = subprocess.run([sys.executable, str(path), "--help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout


def supported(args: list[str], help_text: str) -> list[str]:
    """Keep the flags (with their values) that the script's --help mentions."""
    kept: list[str] = []
    for index, arg in enumerate(args):
        if arg.startswith("--") and arg in help_text:
            kept.append(arg)
            if index + 1 < len(args) and not args[index + 1].startswith("--"):
                kept.append(args[index + 1])
    return kept


def command_for(path: Path, quick: bool, out: Path) -> tuple[list[str] | None, str | None]:
    """The command line to run one script, or None and why it cannot report JSON."""
    help_text = script_help(path)
    if "--json" not in help_text:
        return None, "its --help lists no --json option"
    extra: list[str] = []
    if quick:
        extra = ["--quick"] if "--quick" in help_text else supported(QUICK_ARGS.get(path.stem, []), help_text)
    return [sys.executable, str(path), *extra, "--json", str(out)], None


def run_one(name: str, command: list[str], out: Path | None, timeout: float) -> dict:
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"timed out after {timeout:g} s", "args": command[2:]}
    seconds = round(time.perf_counter() - started, 2)
    record = {"status": "ok" if done.returncode == 0 else "failed", "seconds": seconds, "args": command[2:]}
    if done.returncode != 0:
        record["error"] = (done.stderr or done.stdout).strip()[-800:]
        return record
    try:
        text = out.read_text() if out is not None else done.stdout
        record["result"] = json.loads(text) if text.strip() else None
    except (OSError, ValueError) as exc:
        record["status"], record["error"] = "failed", f"no readable JSON: {exc}"
        return record
    if isinstance(record["result"], dict) and "skipped" in record["result"]:
        record["status"] = "skipped"
    return record


def run_all(quick: bool, only: list[str] | None) -> dict:
    results: dict[str, dict] = {}
    timeout = 300 if quick else 1800
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((REPO / "benchmarks").glob("bench_*.py")):
            if only and path.stem not in only:
                continue
            out = Path(tmp) / f"{path.stem}.json"
            command, why_not = command_for(path, quick, out)
            print(f"running {path.stem} ...", file=sys.stderr, flush=True)
            results[path.stem] = run_one(path.stem, command, out, timeout) if command else {"status": "skipped", "error": why_not}
    if not only or "rtchat_bench" in only:
        runs = RTCHAT_BENCH_RUNS["quick" if quick else "full"]
        print("running rtchat bench ...", file=sys.stderr, flush=True)
        command = [sys.executable, "-m", "rtchat", "bench", "--runs", runs, "--json"]
        results["rtchat_bench"] = run_one("rtchat_bench", command, None, timeout)
        results["rtchat_bench"].get("result", {}) and results["rtchat_bench"]["result"].pop("samples", None)
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "commit": git_commit()},
        "benchmarks": results,
    }


def git_commit() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return f"{head}{'+dirty' if dirty else ''}" or None


def figures(data, prefix: str = "") -> dict[str, float]:
    """The headline numbers of a result: every median, plus plain numbers outside the summaries."""
    found: dict[str, float] = {}
    if isinstance(data, dict):
        if isinstance(data.get("median"), (int, float)):
            return {prefix.rstrip("."): float(data["median"])}
        for key, value in data.items():
            if key in ("samples", "n", "min", "max", "p5", "p25", "p75", "p95", "runs", "rounds", "seconds", "stop_after_tokens", "interrupt_after_tokens"):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found[f"{prefix}{key}"] = float(value)
            else:
                found.update(figures(value, f"{prefix}{key}."))
    elif isinstance(data, list):  # a list of cases: name each by its own label where it has one
        for index, item in enumerate(data):
            label = item.get("name") or item.get("model") or item.get("label") if isinstance(item, dict) else None
            found.update(figures(item, f"{prefix}{label or index}."))
    return found


def all_figures(report: dict) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, record in report["benchmarks"].items():
        if record.get("status") == "ok":
            found.update(figures(record.get("result"), f"{name}."))
    return found


def print_summary(report: dict) -> None:
    print(f"{'benchmark':22} {'status':8} {'seconds':>8}  headline (medians)")
    for name, record in report["benchmarks"].items():
        seconds = record.get("seconds")
        heads = figures(record.get("result")) if record.get("status") == "ok" else {}
        shown = ", ".join(f"{k}={v:.3g}" for k, v in list(heads.items())[:4])
        note = shown or (record.get("error") or "").splitlines()[-1:] and (record.get("error") or "").splitlines()[-1][:70]
        print(f"{name:22} {record['status']:8} {seconds if seconds is not None else '-':>8}  {note or ''}")
    print()
    print_overhead(report["benchmarks"])


def print_overhead(results: dict) -> None:
    """rtchat's client path vs the bare loops: what rtchat itself adds to time to first token."""
    print("rtchat client overhead on time to first token (median, rtchat minus bare loop; target < 2 ms):")
    ttft = results.get("bench_ttft", {})
    rows = []
    if ttft.get("status") == "ok":
        rows += [("SSE vs bare httpx, warm", ttft["result"].get("overhead_warm_ms")), ("SSE vs bare httpx, cold", ttft["result"].get("overhead_cold_ms"))]
    else:
        print(f"  SSE: not measured ({ttft.get('status', 'not run')})")
    ws = results.get("bench_ws_overhead", {})
    if ws.get("status") == "ok":
        rows.append(("WebSocket vs bare websockets, cold", ws["result"].get("overhead_ws_cold_ms")))
    else:
        reason = (ws.get("result") or {}).get("skipped") or ws.get("error") or ws.get("status", "not run")
        print(f"  WebSocket: not measured ({reason})")
    for label, value in rows:
        verdict = "-" if value is None else ("ok" if value < OVERHEAD_TARGET_MS else "OVER TARGET")
        shown = "-" if value is None else f"{value:+.2f} ms"
        print(f"  {label:36} {shown:>10}  {verdict}")
    tools = results.get("bench_tool_overhead", {})
    if tools.get("status") == "ok":
        mcp, floor = tools["result"]["mcp"], tools["result"]["floor"]
        verdict = "ok" if mcp["p50_ms"] < TOOL_OVERHEAD_TARGET_MS else "OVER TARGET"
        print(f"rtchat's own time per tool call (last argument byte to the follow-up request, less the tool's; target < {TOOL_OVERHEAD_TARGET_MS:g} ms):")
        print(f"  p50 {mcp['p50_ms']:.2f} ms, p95 {mcp['p95_ms']:.2f} ms (floor, a no-op runner: p50 {floor['p50_ms']:.2f} ms)  {verdict}")


def print_compare(old: dict, new: dict) -> None:
    before, after = all_figures(old), all_figures(new)
    common = [key for key in after if key in before]
    print(f"\nchange since {old.get('created', 'the old run')} ({old.get('machine', {}).get('commit')}):")
    print(f"{'figure':58} {'old':>10} {'new':>10} {'delta':>10} {'%':>7}")
    for key in common:
        a, b = before[key], after[key]
        pct = f"{(b - a) / a * 100:+.1f}" if a else "-"
        print(f"{key[:58]:58} {a:10.4g} {b:10.4g} {b - a:+10.4g} {pct:>7}")
    missing = sorted(set(before) - set(after))
    if missing:
        print(f"({len(missing)} figure(s) of the old run are not in this one)")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark and gather one JSON.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick before/after check")
    parser.add_argument("--json", metavar="OUT", help="write the gathered results here")
    parser.add_argument("--compare", metavar="OLD.json", help="print the change against an earlier --json file")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these (e.g. bench_ttft rtchat_bench)")
    args = parser.parse_args()
    old = json.loads(Path(args.compare).read_text()) if args.compare else None
    report = run_all(args.quick, args.only)
    print_summary(report)
    if old is not None:
        print_compare(old, report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 0 if all(r["status"] != "failed" for r in report["benchmarks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Soak: an endless, as-fast-as-possible stream through `rtchat ask` and `rtchat race --json`.

    python -m benchmarks.soak_endless [--seconds 60] [--json OUT]

The loopback's `endless` model never finishes. Each command runs in its own
process against `rtchat serve` in another, with a fresh data folder; after
`--seconds` it gets SIGINT if it is still running. The app runs headless
(Textual's `run_test`) in its own process too, streaming for `--seconds`,
then Ctrl-C. Reported per command: its
peak RSS (from the kernel, `wait4`), how long it ran, what it printed, whether
the answer cap ended it, the bytes of its history folder, and the bytes it wrote
(the kernel's block-output count from `wait4`, charged when a page is dirtied: the
history's writes, linear in the answer, not its square). Target: peak RSS under
300 MB (issue 23: `ask` held 2.2 GB and `race --json` reached 19 GB).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import loopback_process, write_json  # noqa: E402

TARGET_MB = 300
CAP_LINE = "reached rtchat's cap"


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def run_measured(label: str, argv: list[str], seconds: float) -> dict:
    """One command in a fresh home; SIGINT after `seconds` if it still runs; its figures."""
    home = Path(tempfile.mkdtemp(prefix="rtchat-soak-endless-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RTCHAT_")}
    env.update({f"RTCHAT_{name}_DIR": str(home / name.lower()) for name in ("CONFIG", "DATA", "STATE", "CACHE")})
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # a benchmark never reads the user's keyring
    out_path, err_path = home / "out", home / "err"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        stopper = threading.Timer(seconds, process.send_signal, (signal.SIGINT,))
        stopper.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            stopper.cancel()
    stderr = err_path.read_text(errors="replace")
    return {
        "command": label,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "exit_code": os.waitstatus_to_exitcode(status),
        "printed_bytes": out_path.stat().st_size,
        "app_shown_chars": next((int(line.split()[1]) for line in stderr.splitlines() if line.startswith("shown ")), None),
        "cap_reached": CAP_LINE in stderr,
        "history_bytes": folder_bytes(home / "data"),
        "written_bytes": usage.ru_oublock * 512,  # ru_oublock counts 512-byte blocks
        "under_target": usage.ru_maxrss / 1024 < TARGET_MB,
    }


async def app_child(base: str, seconds: float) -> None:
    """The app, headless: send one prompt to the endless model, let it stream, then Ctrl-C."""
    from rtchat.config import load_config
    from rtchat.ui.app import RtChatApp

    app = RtChatApp(load_config(), model="loopback/endless")
    async with app.run_test(size=(120, 40)) as pilot:
        while app.state.target is None or not app.state.ready.is_set():
            await pilot.pause(0.1)
        app.state.target = await app.session.resolve("loopback/endless", base)  # the separate server, not the in-process one
        app.prompt.load_text("write forever")
        await pilot.press("enter")
        await pilot.pause(seconds)
        await pilot.press("ctrl+c")
        while not app.turns.idle:
            await pilot.pause(0.1)
        shown = len(app.state.conversation.messages[-1].text)
        print(f"shown {shown}", file=sys.stderr)  # the answer the app kept, read back by the parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json")
    parser.add_argument("--app-child", metavar="BASE_URL", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.app_child:
        import asyncio

        asyncio.run(app_child(options.app_child, options.seconds))
        return
    results = []
    with loopback_process() as url:
        base = url + "/v1"
        rtchat = [sys.executable, "-m", "rtchat"]
        commands = {
            "ask loopback/endless": (rtchat + ["ask", "--base-url", base, "-m", "loopback/endless", "write forever"], options.seconds),
            "race --json loopback/endless (sse, ws)": (rtchat + ["race", "--json", "-y", "-m", "loopback/endless", "--protocols", "sse,websocket", "write forever"], options.seconds),
            "app (headless), then Ctrl-C": ([sys.executable, str(Path(__file__).resolve()), "--seconds", str(options.seconds), "--app-child", base], options.seconds + 120),
        }
        for label, (argv, stop_after) in commands.items():
            result = run_measured(label, argv, stop_after)
            results.append(result)
            print(f"{result['command']:<42} peak {result['peak_rss_mb']:>7.1f} MB  {result['seconds']:>5.1f} s  printed {result['printed_bytes']:>10,} B  "
                  f"history {result['history_bytes']:>10,} B  wrote {result['written_bytes']:>12,} B  cap {'yes' if result['cap_reached'] else 'no'}  exit {result['exit_code']}"
                  + (f"  app kept {result['app_shown_chars']:,} chars" if result["app_shown_chars"] is not None else ""))
    write_json(options.json, {"target_mb": TARGET_MB, "runs": results})


if __name__ == "__main__":
    main()

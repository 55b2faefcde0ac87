"""`rtchat ask` with tools, as a user and a script meet it: real `rtchat ask` processes against the
in-process loopback's `tools` model (it calls the tools it is offered: `shout(text=hello)` in the
prompt calls `shout`), with a real MCP server (the SDK's: `tests/support/mcp_cli_server.py`). The
tests about a server's process (its lifetime, a call in flight at Ctrl-C) start it over stdio
from each `ask`, as a user's config does; the others share one started over streamable HTTP for
the module (`notes_url`), which spares each `ask` a server's start-up. The one true edge: the
terminal of the prompt test is a pty.

Every process here starts in a new session (no controlling terminal), as a script under cron or
CI runs: /dev/tty cannot be opened there, unless the test gives it one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import REPO, in_the_foreground, isolated_env, rtchat_cmd, write_config
from tests.support.mcp_servers import http_script

SERVER = str(REPO / "tests" / "support" / "mcp_cli_server.py")
TOOLS = ["-m", "loopback/tools", "--tools", "notes"]


@pytest.fixture(scope="module")
def notes_url() -> Iterator[str]:
    """The `notes` server over streamable HTTP, one process for this module's tests (of this worker)."""
    with http_script(SERVER, "http") as url:
        yield url


def configure(tmp_path: Path, demo: bool = False, linger: bool = False, url: str | None = None) -> Path:
    """A config with the `notes` server: at `url`, else run over stdio by `ask`, where its `sleepy`
    tool writes the returned file when a call starts. `linger`: the server outlives its stdin,
    so only rtchat stopping it ends it."""
    flag = tmp_path / "sleeping"
    lingers = ', MCP_CLI_LINGER = "1"' if linger else ""
    server = f"url = {json.dumps(url)}\n" if url else (
        f"command = [{json.dumps(sys.executable)}, {json.dumps(SERVER)}]\n"
        f"env = {{ MCP_CLI_SLEEP_FLAG = {json.dumps(str(flag))}{lingers} }}\n"
    )
    write_config(tmp_path, f"[tools]\ndemo = {str(demo).lower()}\nstart_timeout = 30\n\n[mcp.servers.notes]\n{server}")
    return flag


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"  # a zombie no one reaped yet has ended all the same


def wait_until_gone(pid: int) -> None:
    """The server process `pid` ends soon after ask did (killed with ask's session, not left behind)."""
    deadline = time.monotonic() + 30
    while not process_gone(pid):
        assert time.monotonic() < deadline, "the MCP server outlived rtchat ask"
        time.sleep(0.01)  # the poll interval


def ask(tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`rtchat ask ARGS` with no controlling terminal, run to its end."""
    return subprocess.run(rtchat_cmd("ask", *args), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=timeout, start_new_session=True, stdin=subprocess.DEVNULL)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [event for event in events if event["type"] == kind]


def test_approve_tools_runs_the_call_and_the_answer_uses_its_result(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    result = ask(tmp_path, *TOOLS, "--approve-tools", "shout(text=hello)")
    assert result.returncode == 0, result.stderr
    assert "HELLO" in result.stdout, "the model's answer quotes the tool's result"
    lines = [line for line in result.stderr.splitlines() if line.startswith("rtchat: tool ")]
    assert lines[0] == 'rtchat: tool call notes.shout {"text":"hello"}'
    assert lines[1].startswith("rtchat: tool result notes.shout in ") and lines[1].endswith(" ms: HELLO")
    assert len(lines) == 2 and "allow" not in result.stdout + result.stderr


def test_jsonl_has_tool_call_and_tool_result_events(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    result = ask(tmp_path, *TOOLS, "--approve-tools", "--jsonl", "shout(text=hello)")
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    [call] = of_type(events, "tool_call")
    [answer] = of_type(events, "tool_result")
    assert list(call)[:5] == ["type", "id", "name", "server", "arguments"]
    assert (call["name"], call["server"], call["arguments"]) == ("shout", "notes", '{"text":"hello"}') and call["id"]
    assert {key: answer[key] for key in ("type", "id", "name", "output", "is_error")} == {"type": "tool_result", "id": call["id"], "name": "shout", "output": "HELLO", "is_error": False}
    assert isinstance(answer["ms"], (int, float)) and answer["ms"] >= 0
    kinds = [event["type"] for event in events]
    assert kinds.index("tool_call") < kinds.index("tool_result") < max(i for i, kind in enumerate(kinds) if kind == "text")
    assert of_type(events, "done")[-1]["reason"] == "complete"


def test_with_no_terminal_and_no_flag_each_call_is_denied_naming_the_flag(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    result = ask(tmp_path, *TOOLS, "--jsonl", "shout(text=a) shout(text=b)")
    assert result.returncode == 0, result.stderr
    denials = [line for line in result.stderr.splitlines() if "denied" in line]
    assert denials == ["rtchat: tool call notes.shout denied: no terminal to ask on; pass --approve-tools to allow the calls of this run"] * 2
    results = of_type(jsonl(result.stdout), "tool_result")
    assert [(r["status"], r["is_error"]) for r in results] == [("denied", True)] * 2
    assert "A" not in [r["output"] for r in results]


def test_no_tools_sends_no_tools_field(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    offered = ask(tmp_path, "--debug", *TOOLS, "--approve-tools", "shout(text=hello)")
    plain = ask(tmp_path, "--debug", "-m", "loopback/tools", "--no-tools", "shout(text=hello)")
    assert offered.returncode == 0 and plain.returncode == 0, plain.stderr

    def requests(result: subprocess.CompletedProcess[str]) -> list[str]:
        path = Path(result.stderr.split("writing a redacted wire log to ", 1)[1].splitlines()[0])
        return [line for line in path.read_text().splitlines() if " request " in line and "POST" in line]

    assert len(requests(offered)) == 2 and all("'tools': [" in line for line in requests(offered)), "both steps offer the tools"
    [request] = requests(plain)
    assert "'tools': [" not in request and "tool_choice" not in request
    assert "rtchat: tool" not in plain.stderr


def test_an_unknown_server_name_is_one_line(tmp_path):
    configure(tmp_path)  # no server starts: the line comes first
    result = ask(tmp_path, "-m", "loopback/tools", "--tools", "notes,nope", "hi")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "rtchat: --tools: no MCP server 'nope' for loopback/tools (servers: notes)\n"


def test_the_deepseek_socket_goes_without_tools_and_ask_says_so(tmp_path):
    configure(tmp_path)  # no server starts: the line comes first
    result = ask(tmp_path, "-m", "deepseek/deepseek-v4-flash", "--base-url", "http://127.0.0.1:9", "--protocol", "websocket", "--tools", "notes", "hi")
    assert "rtchat: no tools over this socket (deepseek/deepseek-v4-flash over websocket); this turn goes without them (--protocol sse offers them)\n" in result.stderr


def test_tools_go_over_a_realtime_socket(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    result = ask(tmp_path, *TOOLS, "--protocol", "websocket", "--approve-tools", "--jsonl", "shout(text=hello)")
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    assert [r["output"] for r in of_type(events, "tool_result")] == ["HELLO"]


def test_the_demo_server_gives_the_loopback_tools_model_a_tool_call_end_to_end(tmp_path):
    result = ask(tmp_path, "-m", "loopback/tools", "--approve-tools", "--jsonl", "hi")  # no config file at all
    assert result.returncode == 0, result.stderr
    events = jsonl(result.stdout)
    [call] = of_type(events, "tool_call")
    [answer] = of_type(events, "tool_result")
    assert call["server"] == "demo" and answer["status"] == "ok" and not answer["is_error"]
    echo = ask(tmp_path, "-m", "loopback/echo", "--debug", "hi")
    assert echo.returncode == 0
    log = Path(echo.stderr.split("writing a redacted wire log to ", 1)[1].splitlines()[0]).read_text()
    assert "'tools': [" not in log and " mcp " not in log, "echo never calls tools: no demo server is started for it"


def test_no_server_process_outlives_ask(tmp_path):
    flag = configure(tmp_path, linger=True)
    result = ask(tmp_path, *TOOLS, "--approve-tools", "sleepy(seconds=0)")
    assert result.returncode == 0, result.stderr
    assert "slept 0.0 s" in result.stdout
    server_pid = int(flag.read_text().split()[1])
    wait_until_gone(server_pid)


async def test_the_session_stops_its_servers_when_it_closes(tmp_path):
    """In process: `Session.aclose` (what ask and the app call on the way out) ends the servers
    while the event loop still runs, not only when the process ends."""
    from rtchat.config import load_config
    from rtchat.session import Session
    from tests.support.wait import until

    flag = configure(tmp_path, linger=True)
    session = Session(load_config(tmp_path / "config" / "config.toml"))
    try:
        registry = session.tool_registry()
        await registry.start(["notes"], lambda line: None)
        [sleepy] = [tool for tool in registry.tools(["notes"]) if tool.original == "sleepy"]
        assert (await registry.call(sleepy, {"seconds": 0}, 30)).status == "ok"
        server_pid = int(flag.read_text().split()[1])
        assert not process_gone(server_pid)
    finally:
        await session.aclose()
    await until(lambda: process_gone(server_pid), 30, "the server ends with the session")


# ---- the terminal prompt (a pty: the user's terminal is the true edge)


def read_until(fd: int, words: bytes, within: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + within
    while words not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"the terminal never showed {words!r}; it showed {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def ask_on_a_terminal(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    """`rtchat ask ARGS` whose controlling terminal is a pty (returned: its master side); stdout
    and stderr stay pipes, so what reaches the terminal is only what ask wrote to it."""
    import pty  # noqa: PLC0415 - this test's edge only

    master, slave = pty.openpty()

    def take_terminal() -> None:  # in the child: a session of its own, with the pty (stdin) as its terminal
        import fcntl  # noqa: PLC0415
        import termios  # noqa: PLC0415

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        rtchat_cmd("ask", *args), env=isolated_env(tmp_path), stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=take_terminal,
    )
    os.close(slave)
    return proc, master


PROMPT_END = b"? [y]es / [a]lways / [n]o "


def test_on_a_terminal_ask_prompts_there_and_y_runs_the_call(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    proc, terminal = ask_on_a_terminal(tmp_path, *TOOLS, "shout(text=hello)")
    try:
        shown = read_until(terminal, PROMPT_END)
        assert shown.endswith(b'allow notes.shout {"text":"hello"}' + PROMPT_END)
        os.write(terminal, b"y\n")
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(terminal)
    assert proc.returncode == 0, err
    assert "HELLO" in out and "allow" not in out, "the prompt is on the terminal, never on stdout"


def test_on_a_terminal_n_denies_and_a_allows_the_rest_of_the_run(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    proc, terminal = ask_on_a_terminal(tmp_path, *TOOLS, "--jsonl", "shout(text=one) then shout(text=two) then shout(text=three)")
    try:
        read_until(terminal, b'allow notes.shout {"text":"one"}' + PROMPT_END)
        os.write(terminal, b"n\n")
        read_until(terminal, b'allow notes.shout {"text":"two"}' + PROMPT_END)
        os.write(terminal, b"maybe\n")  # not an answer: asked again
        read_until(terminal, b'allow notes.shout {"text":"two"}' + PROMPT_END)
        os.write(terminal, b"a\n")
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(terminal)
    assert proc.returncode == 0, err
    results = of_type(jsonl(out), "tool_result")
    assert [(r["status"], r["output"]) for r in results][1:] == [("ok", "TWO"), ("ok", "THREE")], "after 'a' the third call runs unasked"
    assert results[0]["status"] == "denied"


def test_ctrl_c_at_the_prompt_stops_the_turn_and_runs_nothing(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    proc, terminal = ask_on_a_terminal(tmp_path, *TOOLS, "--jsonl", "shout(text=hello)")
    try:
        read_until(terminal, PROMPT_END)
        os.write(terminal, b"\x03")  # the terminal's interrupt key: SIGINT to ask, as a user's Ctrl-C
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(terminal)
    assert proc.returncode == 130, err
    events = jsonl(out)
    assert of_type(events, "done")[-1]["reason"] == "interrupted"
    assert [r["status"] for r in of_type(events, "tool_result")] in ([], ["cancelled"]), "the call never ran"
    assert "HELLO" not in out


def test_arguments_on_the_prompt_are_inert_and_shortened(tmp_path, notes_url):
    configure(tmp_path, url=notes_url)
    hostile = "\x1b]52;c;ZXZpbA==\x07" + "x" * 400
    proc, terminal = ask_on_a_terminal(tmp_path, *TOOLS, f"shout(text={hostile})")
    try:
        shown = read_until(terminal, PROMPT_END)
        os.write(terminal, b"n\n")
        proc.communicate(timeout=60)
    finally:
        os.close(terminal)
    line = shown.decode("utf-8").rsplit("allow ", 1)[1]
    assert "\x1b" not in line and "\x07" not in line and "]52;c;" in line, repr(line)
    assert "…" in line and len(line) < 260


# ---- Ctrl-C during a call


def ask_with_approved_calls(tmp_path: Path, prompt: str) -> tuple[subprocess.Popen, Path]:
    """`rtchat ask --approve-tools --jsonl PROMPT` running, and the file its `sleepy` call writes."""
    flag = configure(tmp_path, linger=True)
    proc = subprocess.Popen(
        rtchat_cmd("ask", *TOOLS, "--approve-tools", "--jsonl", prompt),
        env=isolated_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, stdin=subprocess.DEVNULL, preexec_fn=in_the_foreground,
    )
    return proc, flag


def interrupt_the_call_in_flight(proc: subprocess.Popen, flag: Path, give_up_s: float) -> tuple[int, str, str]:
    """Ctrl-C to `ask` once its `sleepy` call is running at the server (the server writes `flag`
    when the call begins); returns the server's pid and what ask printed after it."""
    deadline = time.monotonic() + give_up_s
    while not flag.exists():
        assert time.monotonic() < deadline and proc.poll() is None, "the call never reached the server"
        time.sleep(0.01)  # the poll interval, not a synchronisation
    server_pid = int(flag.read_text().split()[1])
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    return server_pid, out, err


def last_stored_answer(tmp_path: Path) -> dict:
    """The latest answer of the history, as `rtchat export last --format json` gives it."""
    exported = subprocess.run(rtchat_cmd("export", "last", "--format", "json"), env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    return json.loads(exported.stdout)["messages"][-1]


def test_ctrl_c_during_a_call_exits_130_keeps_the_answer_and_marks_it_interrupted(tmp_path):
    proc, flag = ask_with_approved_calls(tmp_path, "shout(text=first) then sleepy(seconds=600)")
    lines = []
    while sum('"tool_call"' in line for line in lines) < 2:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        lines.append(line)
    server_pid, rest, _ = interrupt_the_call_in_flight(proc, flag, give_up_s=60)
    events = jsonl("".join(lines) + rest)
    assert of_type(events, "done")[-1]["reason"] == "interrupted"
    shout, sleepy = of_type(events, "tool_call")
    assert [r["output"] for r in of_type(events, "tool_result")][:1] == ["FIRST"]
    answer = last_stored_answer(tmp_path)
    assert answer["status"] == "interrupted"
    kept = json.dumps(answer)
    assert shout["id"] in kept and "FIRST" in kept, "the step that ran is kept in the history"
    wait_until_gone(server_pid)


def test_ctrl_c_during_the_first_call_of_a_new_conversation_keeps_it_in_the_history(tmp_path):
    proc, flag = ask_with_approved_calls(tmp_path, "sleepy(seconds=600)")
    server_pid, out, _ = interrupt_the_call_in_flight(proc, flag, give_up_s=120)
    (call,) = of_type(jsonl(out), "tool_call")
    answer = last_stored_answer(tmp_path)
    assert answer["status"] == "interrupted" and call["id"] in json.dumps(answer), "the prompt and the call it led to are kept"
    wait_until_gone(server_pid)

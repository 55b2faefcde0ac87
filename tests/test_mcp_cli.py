"""`rtchat mcp list|import` as a user runs them: real `rtchat` processes starting real MCP servers
(the official SDK's server over stdio, `tests/support/mcp_cli_server.py`), real config files."""

from __future__ import annotations

import asyncio
import json
import sys

from rtchat.config import load_config
from tests.support.env import REPO, closed_port, isolated_env, rtchat_cmd, run_rtchat, write_config

SERVER = str(REPO / "tests" / "support" / "mcp_cli_server.py")
FAILING = "import sys; sys.stderr.write('first words\\nboom: no such database\\n'); sys.exit(3)"
SECRET = "Bearer sk-header-secret-7f3a"


def servers_config(*, demo: bool = True) -> str:
    return f"""
[tools]
demo = {str(demo).lower()}
start_timeout = 30

[mcp.servers.notes]
command = [{json.dumps(sys.executable)}, {json.dumps(SERVER)}]

[mcp.servers.broken]
command = [{json.dumps(sys.executable)}, "-c", {json.dumps(FAILING)}]

[mcp.servers.off]
command = ["never-started"]
enabled = false
"""


def test_list_starts_each_server_and_shows_state_transport_and_tools(tmp_path):
    write_config(tmp_path, servers_config(demo=False))
    result = run_rtchat(tmp_path, "mcp", "list")
    lines = result.stdout.splitlines()
    assert result.returncode == 1, "a server that failed to start makes the listing exit 1"
    assert lines[0] == "notes: ready (stdio), 3 tools"
    assert lines[1:4] == [
        "  shout    Say the text back in capitals.",
        "  sleepy   Sleep for a while, then say so.",
        "  hostile  Innocent␛]52;c;ZXZpbA==\ufffd tool␛[2J",
    ], "one line per tool: the first line of its description, inert"
    assert lines[4].startswith("broken: failed (stdio): ") and "boom: no such database" in lines[4]
    assert lines[5:] == ["off: disabled (enabled = false)"]
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "Traceback" not in result.stderr


def test_list_names_the_demo_server_for_the_loopback_models(tmp_path):
    write_config(tmp_path, "")
    result = run_rtchat(tmp_path, "mcp", "list")
    assert result.returncode == 0, result.stderr
    first, *tools = result.stdout.splitlines()
    assert first.startswith("demo (for loopback models): ready (stdio), ")
    assert tools and all(line.startswith("  ") for line in tools)


def test_list_with_no_servers_says_how_to_add_one(tmp_path):
    path = write_config(tmp_path, "[tools]\ndemo = false\n")
    result = run_rtchat(tmp_path, "mcp", "list")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"no MCP servers: add [mcp.servers.NAME] to {path} (or `rtchat mcp import FILE`)\n"


def test_list_json_has_every_server_and_its_tools(tmp_path):
    write_config(tmp_path, servers_config(demo=True))
    result = run_rtchat(tmp_path, "mcp", "list", "--json")
    assert result.returncode == 1
    servers = {server["name"]: server for server in json.loads(result.stdout)}
    assert set(servers) == {"notes", "broken", "off", "demo"}
    notes = servers["notes"]
    assert (notes["state"], notes["transport"], notes["problem"], notes["demo"]) == ("ready", "stdio", None, False)
    assert [tool["name"] for tool in notes["tools"]] == ["shout", "sleepy", "hostile"]
    assert notes["tools"][0]["description"] == "Say the text back in capitals.\nA second line mcp list leaves out."
    assert servers["broken"]["state"] == "failed" and "boom" in servers["broken"]["problem"]
    assert servers["off"]["state"] == "disabled"
    assert servers["demo"]["demo"] is True and servers["demo"]["state"] == "ready"


def test_a_header_secret_is_never_shown_nor_logged(tmp_path):
    # A closed port: the server fails to start, and its failure must not carry the header.
    port = closed_port()
    write_config(tmp_path, f'[tools]\ndemo = false\nstart_timeout = 10\n[mcp.servers.remote]\nurl = "http://127.0.0.1:{port}/mcp"\nheaders = {{ Authorization = "{SECRET}" }}\n')
    listed = run_rtchat(tmp_path, "--debug", "mcp", "list")
    assert listed.stdout.startswith("remote: failed (http)")
    checked = run_rtchat(tmp_path, "config", "check")
    assert checked.returncode == 0
    logs = list((tmp_path / "state" / "logs").glob("wire-*.log"))
    assert logs, listed.stderr
    for text in (listed.stdout, listed.stderr, checked.stdout, checked.stderr, *(log.read_text() for log in logs)):
        assert "sk-header-secret" not in text


async def test_list_reaches_a_streamable_http_server_with_its_headers_never_shown(tmp_path):
    from tests.support.mcp_servers import http_server  # the mcp branch's SDK servers

    async with http_server("remote") as served:
        write_config(tmp_path, f'[tools]\ndemo = false\n[mcp.servers.remote]\nurl = "{served.url}"\nheaders = {{ Authorization = "{SECRET}" }}\n')
        proc = await asyncio.create_subprocess_exec(*rtchat_cmd("--debug", "mcp", "list"), env=isolated_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = (data.decode() for data in await asyncio.wait_for(proc.communicate(), 60))
    assert proc.returncode == 0, err
    first, *tools = out.splitlines()
    assert first.startswith("remote: ready (http), ") and any(line.split()[0] == "echo" for line in tools)
    assert any(seen.get("authorization") == SECRET for seen in served.headers_seen), "the header went to the server"
    [log] = (tmp_path / "state" / "logs").glob("wire-*.log")
    for text in (out, err, log.read_text()):
        assert "sk-header-secret" not in text


REMOTE = f"http://127.0.0.1:{closed_port()}/mcp"  # nothing listens: no lookup, no network
CLAUDE_FILE = {
    "mcpServers": {
        "notes": {"command": sys.executable, "args": [SERVER], "env": {"NOTES_DIR": "/tmp/notes"}},
        "remote": {"url": REMOTE, "headers": {"Authorization": SECRET}},
    }
}


def run_import(tmp_path, name: str, content: str, *flags: str):
    """`rtchat mcp import FLAGS FILE` of a file `name` holding `content`; (the file, the run)."""
    source = tmp_path / name
    source.write_text(content)
    return source, run_rtchat(tmp_path, "mcp", "import", *flags, str(source))


def test_import_writes_each_server_keeping_comments_and_lists_them(tmp_path):
    path = write_config(tmp_path, "# my settings\ntheme = \"dark\"  # the best one\n")
    _, result = run_import(tmp_path, "claude_desktop_config.json", json.dumps(CLAUDE_FILE))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [f"imported notes (stdio: {sys.executable}) into {path}", f"imported remote (http) into {path}"]
    assert "sk-header-secret" not in result.stdout
    text = path.read_text()
    assert text.startswith("# my settings\ntheme = \"dark\"  # the best one\n")
    servers = load_config(path).mcp_servers
    assert servers["notes"].command == (sys.executable, SERVER) and servers["notes"].env == {"NOTES_DIR": "/tmp/notes"}
    assert servers["remote"].url == REMOTE and servers["remote"].headers == {"Authorization": SECRET}
    listed = run_rtchat(tmp_path, "mcp", "list", "--json")
    states = {server["name"]: server["state"] for server in json.loads(listed.stdout)}
    assert states["notes"] == "ready", "the imported command really starts"


def test_import_refuses_names_the_config_has_unless_replace(tmp_path):
    path = write_config(tmp_path, '[mcp.servers.notes]\ncommand = ["old"]\n')
    _, refused = run_import(tmp_path, "servers.json", json.dumps(CLAUDE_FILE))
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == f"rtchat: nothing imported: {path} already has notes: use --replace to overwrite\n"
    assert path.read_text() == '[mcp.servers.notes]\ncommand = ["old"]\n'
    _, replaced = run_import(tmp_path, "servers.json", json.dumps(CLAUDE_FILE), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert load_config(path).mcp_servers["notes"].command == (sys.executable, SERVER)


def test_a_bad_file_is_one_line_and_exit_2(tmp_path):
    path = write_config(tmp_path, "# untouched\n")
    cases = {
        "broken.json": ('{"mcpServers": {', "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 17)"),
        "shape.json": ('{"servers": {}}', 'no "mcpServers" object'),
        "both.json": ('{"mcpServers": {"x": {"command": "a", "url": "http://h"}}}', "server 'x': needs \"command\" (a string, with \"args\") or \"url\", not both"),
        "name.json": ('{"mcpServers": {"my server": {"command": "a"}}}', "server 'my server': a server's name may hold only letters"),
    }
    for name, (content, words) in cases.items():
        source, result = run_import(tmp_path, name, content)
        assert result.returncode == 2 and result.stdout == "", name
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"rtchat: {source}: ") and words in result.stderr, result.stderr
    missing = run_rtchat(tmp_path, "mcp", "import", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "cannot read it" in missing.stderr
    assert path.read_text() == "# untouched\n"

"""`[mcp.servers.NAME]` and `[tools]`: typed when right, one line naming file:line when wrong (and
never the value of a header or env entry: they hold tokens), and written back keeping comments."""

from __future__ import annotations

import pytest

from rtchat.config import ConfigError, McpServer, ToolSettings, add_mcp_servers, load_config, parse_config, save_always_allow

GOOD = """
[tools]
call_timeout = 5
max_steps = 3
demo = false

[mcp.servers.time]                      # stdio
command = ["uvx", "mcp-server-time"]
env = { TZ = "UTC" }
always_allow = ["get_current_time"]

[mcp.servers.notes]
url = "http://127.0.0.1:8000/mcp"
headers = { Authorization = "Bearer sk-secret-1234" }
tools = ["search", "read"]
enabled = false
"""


def test_servers_and_tool_settings_come_typed(tmp_path):
    config = parse_config(GOOD, tmp_path / "config.toml")
    assert config.tools == ToolSettings(call_timeout=5.0, max_steps=3, demo=False)
    assert isinstance(config.tools.call_timeout, float) and isinstance(config.tools.max_steps, int)
    assert config.mcp_servers == {
        "time": McpServer("time", command=("uvx", "mcp-server-time"), env={"TZ": "UTC"}, always_allow=("get_current_time",)),
        "notes": McpServer("notes", url="http://127.0.0.1:8000/mcp", headers={"Authorization": "Bearer sk-secret-1234"}, tools=("search", "read"), enabled=False),
    }


def test_no_tables_means_defaults(tmp_path):
    config = parse_config('theme = "dark"\n', tmp_path / "config.toml")
    assert config.mcp_servers == {} and config.tools == ToolSettings()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[tools]\nmax_steps = 0\n", 2, "[tools] max_steps must be a whole number between 1 and 1000 (got 0)"),
        ("[tools]\ncall_timeout = -1\n", 2, "[tools] call_timeout must be a number of seconds between 0.1 and 86400 (got -1)"),
        ("[tools]\ndemo = 1\n", 2, "[tools] demo must be true or false (got 1)"),
        ("[mcp.servers.x]\ncommand = []\n", 2, "[mcp.servers.x] command must be a non-empty list of strings, e.g. [\"uvx\", \"mcp-server-time\"] (got [])"),
        ("[mcp.servers.x]\ncommand = \"uvx x\"\n", 2, "[mcp.servers.x] command must be a non-empty list of strings, e.g. [\"uvx\", \"mcp-server-time\"] (got 'uvx x')"),
        ("[mcp.servers.x]\nurl = \"ftp://h/mcp\"\n", 2, "[mcp.servers.x] url must start with http:// or https://"),
        ("\n[mcp.servers.x]\nenabled = true\n", 2, "[mcp.servers.x] needs command (a program rtchat starts) or url (a streamable HTTP server)"),
        ("[mcp.servers.x]\ncommand = [\"a\"]\nurl = \"http://h\"\n", 1, "[mcp.servers.x] has both command and url: keep one"),
        ("[mcp.servers.x]\ncommand = [\"a\"]\nheaders = { A = \"b\" }\n", 3, "[mcp.servers.x] headers are for a url server; a command server takes env"),
        ("[mcp.servers.x]\ncommand = [\"a\"]\ntools = \"search\"\n", 3, "[mcp.servers.x] tools must be a list of tool names (got 'search')"),
        ("[mcp.servers.x]\ncommand = [\"a\"]\nenabled = \"no\"\n", 3, "[mcp.servers.x] enabled must be true or false (got 'no')"),
        ("[mcp.servers.\"a.b\"]\ncommand = [\"a\"]\n", 1, "[mcp.servers.\"a.b\"]: a server's name may hold only letters, digits, _ and - (at most 32)"),
        ("[mcp]\nservers = 3\n", 2, "[mcp] servers must be tables: [mcp.servers.NAME]"),
    ],
)
def test_each_problem_is_one_line_naming_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path)
    where = f"{path} line {line}" if line else str(path)
    assert caught.value.problems == [f"{where}: {message}"]


def test_a_bad_header_or_env_value_is_never_repeated(tmp_path):
    text = '[mcp.servers.x]\nurl = "http://h/mcp"\nheaders = { Authorization = 12345678 }\n[mcp.servers.y]\ncommand = ["a"]\nenv = { TOKEN = ["sk-secret-abcd"] }\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "config.toml")
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        '[mcp.servers.x] headers must be a table of strings, e.g. headers = { NAME = "value" }',
        '[mcp.servers.y] env must be a table of strings, e.g. env = { NAME = "value" }',
    ]
    assert "12345678" not in str(caught.value.problems) and "sk-secret" not in str(caught.value.problems)


def test_unknown_keys_warn_with_their_line(tmp_path):
    path = tmp_path / "config.toml"
    config = parse_config('[tools]\nsteps = 3\n[mcp]\nserver = 1\n[mcp.servers.x]\ncommand = ["a"]\nargs = ["b"]\n', path)
    assert config.warnings == [
        f"{path} line 2: unknown setting [tools] steps (ignored; known: call_timeout, demo, max_result_chars, max_steps, start_timeout)",
        f"{path} line 4: unknown setting [mcp] server (ignored; known: servers)",
        f"{path} line 7: unknown setting [mcp.servers.x] args (ignored; known: always_allow, command, cwd, enabled, env, headers, realtime, tools, url)",
    ]


def test_always_allow_is_added_once_keeping_comments(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    save_always_allow(path, "time", "convert_time")
    save_always_allow(path, "time", "convert_time")
    save_always_allow(path, "notes", "search")
    text = path.read_text()
    assert "[mcp.servers.time]                      # stdio" in text
    servers = load_config(path).mcp_servers
    assert servers["time"].always_allow == ("get_current_time", "convert_time")
    assert servers["notes"].always_allow == ("search",)


def test_always_allow_for_a_server_not_in_the_file_writes_nothing(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# mine\n")
    with pytest.raises(LookupError, match=r"\[mcp.servers.demo\] is not in"):
        save_always_allow(path, "demo", "add")
    assert path.read_text() == "# mine\n"


def test_servers_are_added_as_their_own_tables_and_clashes_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    add_mcp_servers(path, {"fs": {"command": ["npx", "server-fs", "/tmp"], "env": {"A": "b"}}})
    text = path.read_text()
    assert text.startswith(GOOD) and '\n[mcp.servers.fs]\ncommand = ["npx", "server-fs", "/tmp"]\nenv = {A = "b"}\n' in text
    with pytest.raises(ValueError, match="already has fs, time: use --replace"):
        add_mcp_servers(path, {"fs": {"url": "http://h"}, "time": {"url": "http://h"}, "new": {"url": "http://h"}})
    assert path.read_text() == text
    add_mcp_servers(path, {"fs": {"url": "http://h/mcp"}}, replace=True)
    assert load_config(path).mcp_servers["fs"] == McpServer("fs", url="http://h/mcp")


def test_a_change_that_would_break_the_file_writes_nothing(tmp_path):
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError, match="needs command"):
        add_mcp_servers(path, {"x": {"cwd": "/tmp"}})
    assert not path.exists()

"""The tool registry against real MCP servers (the SDK's own server): over stdio, a script run
with this Python; over streamable HTTP, the SDK's app under uvicorn on 127.0.0.1 in this loop.
Then the runner (ToolSession) a turn's tool steps go through, with the user's decisions scripted:
the approver is the one fake here, at the true edge (a person pressing y, a or n).

Tests about a server's process (its start, its end, its pid, a tool list it changes) start their
own over stdio; those about names, results and the runner reach one the module shares over
streamable HTTP (`shared`), under as many names as they need."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import ToolCall
from rtchat.events import ToolCallRequest, ToolCallResult
from rtchat.tools.approval import ConversationTools, Decision
from rtchat.tools.registry import TOOL_NAME, ServerState, ToolRegistry, safe_name
from rtchat.tools.runner import DECLINED, ToolSession
from tests.support.env import isolated_env
from tests.support.mcp_servers import SCRIPT, http_script, http_server, stdio_config


class Log(list):
    """The registry's debug log: every line it wrote."""

    def __call__(self, line: str) -> None:
        self.append(line)


@pytest.fixture(scope="module")
def shared_url():
    with http_script(SCRIPT, "http") as url:
        yield url


@pytest.fixture
def shared(shared_url):
    """A config entry for the module's shared test server: `shared(name, **fields)`."""
    return lambda name, **fields: McpServer(name=name, url=shared_url, **fields)


@pytest.fixture
async def registry_of():
    made = []

    def make(*configs, log=None, **settings):
        registry = ToolRegistry({config.name: config for config in configs}, ToolSettings(**settings), log=log)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        await registry.aclose()


async def started(registry, *names):
    notices: list[str] = []
    await registry.start(names or registry.servers_for("openai"), notices.append)
    return notices


def by_name(registry, names):
    return {tool.name: tool for tool in registry.tools(names)}


async def test_a_stdio_server_starts_lists_its_tools_and_answers_a_call(registry_of):
    registry = registry_of(stdio_config("local"))
    assert [status.state for status in registry.status()] == [ServerState.STOPPED]
    assert await started(registry) == []
    [status] = registry.status()
    assert (status.name, status.state, status.transport, status.problem) == ("local", ServerState.READY, "stdio", None)
    tools = by_name(registry, ["local"])
    assert tools["echo"].description == "Say `text` back."
    assert tools["echo"].spec().parameters["properties"]["text"]["type"] == "string"
    outcome = await registry.call(tools["echo"], {"text": "hello <b>there</b>"}, timeout=30)
    assert (outcome.output, outcome.is_error, outcome.status) == ("hello <b>there</b>", False, "ok")
    assert outcome.ms is not None and outcome.ms >= 0


async def test_a_streamable_http_server_gets_its_headers_which_never_reach_a_log_or_status(registry_of):
    secret = "Bearer sk-test-0123456789abcdef"
    log = Log()
    async with http_server() as served:
        config = McpServer(name="notes", url=served.url, headers={"Authorization": secret})
        registry = registry_of(config, log=log)
        assert await started(registry) == []
        tools = by_name(registry, ["notes"])
        outcome = await registry.call(tools["echo"], {"text": "over http"}, timeout=30)
        assert outcome.output == "over http"
        assert all(seen.get("authorization") == secret for seen in served.headers_seen)
        [status] = registry.status()
        assert (status.state, status.transport) == (ServerState.READY, "http")
        await registry.aclose()
    assert secret not in repr(registry.status()) and "0123456789abcdef" not in " ".join(log)


async def test_an_http_server_that_is_not_there_is_one_line_without_its_secret(registry_of):
    with socket_closed_port() as port:
        config = McpServer(name="notes", url=f"http://127.0.0.1:{port}/mcp", headers={"X-Api-Key": "hunter2-secret-value"})
        registry = registry_of(config)
        [line] = await started(registry)
    assert line.startswith("mcp server 'notes' failed at http://127.0.0.1:")
    assert "hunter2" not in line and "\n" not in line
    assert registry.status()[0].state is ServerState.FAILED and registry.tools(["notes"]) == []


def socket_closed_port():
    import contextlib
    import socket

    @contextlib.contextmanager
    def closed():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()  # nothing listens there now
        yield port

    return closed()


async def test_two_servers_with_the_same_tool_name_are_namespaced_and_every_name_fits_every_provider(registry_of, shared):
    registry = registry_of(shared("alpha"), shared("beta.v2"))
    assert await started(registry) == []
    tools = by_name(registry, ["alpha", "beta.v2"])
    assert {"alpha__echo", "beta_v2__echo", "alpha__files_read"} <= set(tools)
    assert "echo" not in tools
    assert all(TOOL_NAME.match(name) for name in tools)
    assert (tools["beta_v2__echo"].server, tools["beta_v2__echo"].original) == ("beta.v2", "echo")
    outcome = await registry.call(tools["alpha__files_read"], {"path": "a.txt"}, timeout=30)
    assert outcome.output == "contents of a.txt"
    # one server alone: its own names (cleaned for the providers)
    alone = by_name(registry, ["alpha"])
    assert {"echo", "files_read"} <= set(alone) and alone["files_read"].original == "files.read"


async def test_an_allow_list_offers_only_the_tools_named(registry_of, shared):
    registry = registry_of(shared("local", tools=("echo", "pid")))
    await started(registry)
    assert sorted(by_name(registry, ["local"])) == ["echo", "pid"]
    assert [tool.name for tool in registry.status()[0].tools] == ["echo", "pid"]


async def test_results_in_words_images_described_structured_content_as_json_a_long_one_cut(registry_of, shared):
    registry = registry_of(shared("local"), max_result_chars=1000)
    await started(registry)
    tools = by_name(registry, ["local"])
    picture = await registry.call(tools["picture"], {}, timeout=30)
    assert picture.output == "[image/png, 12 KB]"
    numbers = await registry.call(tools["numbers"], {}, timeout=30)
    assert numbers.output == '{"sum":3,"items":[1,2]}'
    long = await registry.call(tools["echo"], {"text": "y" * 1500}, timeout=60)
    assert long.output == "y" * 1000 + "\n[cut: 500 more characters]"
    assert (long.is_error, long.status) == (False, "ok")


async def test_aclose_leaves_no_server_process_behind(registry_of):
    registry = registry_of(stdio_config("one"), stdio_config("two"))
    await started(registry)
    pids = [int((await registry.call(by_name(registry, [name])["pid"], {}, timeout=30)).output) for name in ("one", "two")]
    await registry.aclose()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert {status.state for status in registry.status()} == {ServerState.STOPPED}
    await started(registry, "one")  # closed is not broken: a later start starts it afresh
    assert int((await registry.call(by_name(registry, ["one"])["pid"], {}, timeout=30)).output) not in pids


async def test_start_is_idempotent_and_parallel_starts_share_one_process(registry_of):
    registry = registry_of(stdio_config("local"))
    await asyncio.gather(started(registry), started(registry))
    first = (await registry.call(by_name(registry, ["local"])["pid"], {}, timeout=30)).output
    await started(registry)
    assert (await registry.call(by_name(registry, ["local"])["pid"], {}, timeout=30)).output == first


# ---- the demo server

async def test_the_demo_server_is_offered_to_the_loopback_only_and_its_tools_work(registry_of):
    registry = registry_of(stdio_config("mine"))
    assert registry.servers_for("openai") == ["mine"]
    assert registry.servers_for("loopback") == ["mine", "demo"]
    assert registry_of(demo=False).servers_for("loopback") == []
    assert await started(registry, "demo") == []
    tools = by_name(registry, ["demo"])
    assert sorted(tools) == ["calculate", "time_now"]
    assert (await registry.call(tools["calculate"], {"expression": "(2 + 3) * -4 ** 2 // 3"}, timeout=30)).output == "-27"
    refused = await registry.call(tools["calculate"], {"expression": "__import__('os').getcwd()"}, timeout=30)
    assert refused.is_error and "only numbers" in refused.output
    utc = await registry.call(tools["time_now"], {}, timeout=30)
    assert utc.output.endswith("+00:00 (UTC)") and not utc.is_error
    unknown = await registry.call(tools["time_now"], {"zone": "Mars/Olympus_Mons"}, timeout=30)
    assert unknown.is_error and "unknown time zone 'Mars/Olympus_Mons'" in unknown.output


# ---- the runner a turn's tool steps go through

class ScriptedUser:
    """The person at the keyboard (the true edge): answers each request from a list, in order."""

    def __init__(self, *decisions: Decision) -> None:
        self.decisions = list(decisions)
        self.asked = []

    async def decide(self, request):
        self.asked.append(request)
        return self.decisions.pop(0)


def calls(*pairs):
    return [ToolCall(id=f"call_{index}", name=name, arguments=arguments) for index, (name, arguments) in enumerate(pairs)]


async def run_calls(session, *pairs):
    events = []
    await session.run(calls(*pairs), events.append)
    return events


def results(events):
    return [event for event in events if isinstance(event, ToolCallResult)]


async def test_the_runner_offers_approves_in_order_and_reports_each_call(registry_of, shared):
    registry = registry_of(shared("local", tools=("echo", "fail")))
    user = ScriptedUser(Decision.ONCE, Decision.DENY)
    session = ToolSession(registry, user, ConversationTools(), ToolSettings(), "openai")
    specs = await session.offer(lambda event: None)
    assert sorted(spec.name for spec in specs) == ["echo", "fail"]
    events = await run_calls(session, ("echo", '{"text": "one"}'), ("echo", '{"text": "two"}'), ("nope", "{}"), ("echo", '["not", "an object"]'))
    assert [type(event).__name__ for event in events] == ["ToolCallRequest", "ToolCallResult"] * 4
    assert events[0] == ToolCallRequest("call_0", "echo", "local", '{"text": "one"}')
    done = results(events)
    assert [(result.output, result.status, result.is_error) for result in done[:2]] == [("one", "ok", False), (DECLINED, "denied", True)]
    assert (done[2].status, done[2].server, done[2].ms) == ("unknown_tool", None, None) and "'nope'" in done[2].output
    assert done[3].status == "error" and "not a JSON object" in done[3].output
    assert [request.call.id for request in user.asked] == ["call_0", "call_1"]  # neither the unknown tool nor the bad arguments were put to the user
    assert user.asked[0].server == "local" and user.asked[0].tool == "echo"
    assert done[0].ms is not None


async def test_always_allows_the_tool_for_the_conversation_and_save_remembers_it_in_the_config(registry_of, shared):
    registry = registry_of(shared("local"), shared("other", always_allow=("echo",)))
    saved = []
    choices = ConversationTools()
    user = ScriptedUser(Decision.ALWAYS, Decision.SAVE)
    session = ToolSession(registry, user, choices, ToolSettings(), "openai", save_always=lambda server, tool: saved.append((server, tool)))
    await session.offer(lambda event: None)
    events = await run_calls(session, ("local__echo", '{"text": "a"}'), ("local__echo", '{"text": "b"}'), ("local__pid", ""), ("other__echo", '{"text": "c"}'))
    assert [result.output for result in results(events)][:2] == ["a", "b"] and results(events)[3].output == "c"
    assert [request.call.name for request in user.asked] == ["local__echo", "local__pid"]  # asked once per tool; `other`'s echo is allowed in the config
    assert choices.always == {"local/echo", "local/pid"} and saved == [("local", "pid")]


async def test_a_conversation_can_switch_servers_and_tools_off(registry_of, shared):
    registry = registry_of(shared("local"), shared("other", tools=("echo",)))
    choices = ConversationTools(servers={"other"})
    session = ToolSession(registry, ScriptedUser(), choices, ToolSettings(), "openai")
    assert [spec.name for spec in await session.offer(lambda event: None)] == ["echo"]
    assert [status.state for status in registry.status()] == [ServerState.STOPPED, ServerState.READY]  # never started
    choices.disabled_tools.add("echo")
    assert await session.offer(lambda event: None) == ()
    choices.servers = set()
    assert await session.offer(lambda event: None) == ()


async def test_cancelling_the_turn_while_the_user_decides_runs_nothing(registry_of, shared):
    registry = registry_of(shared("local"))
    asked = asyncio.Event()

    class SlowUser:
        async def decide(self, request):
            asked.set()
            await asyncio.Event().wait()

    session = ToolSession(registry, SlowUser(), ConversationTools(), ToolSettings(), "openai")
    await session.offer(lambda event: None)
    events = []
    task = asyncio.create_task(session.run(calls(("echo", '{"text": "x"}')), events.append))
    await asyncio.wait_for(asked.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [type(event).__name__ for event in events] == ["ToolCallRequest"]


def test_importing_the_tool_layer_loads_no_mcp(tmp_path):
    # The SDK costs start-up time: it loads when the first server starts, not when rtchat does.
    probe = (
        "import json, pkgutil, sys, importlib, rtchat.tools\n"
        "for module in pkgutil.iter_modules(rtchat.tools.__path__): importlib.import_module('rtchat.tools.' + module.name)\n"
        "print(json.dumps(sorted(m for m in ('mcp', 'mcp_types', 'httpx2', 'anyio', 'pydantic', 'uvicorn') if m in sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("name", "offered"),
    [("files.read", "files_read"), ("2fa-check", "_2fa-check"), ("-x", "_-x"), ("héllo wörld", "h_llo_w_rld"), ("", "_")],
)
def test_a_tool_name_is_cleaned_into_one_every_provider_accepts(name, offered):
    assert safe_name(name) == offered and TOOL_NAME.match(offered)


def test_long_names_stay_within_64_characters_and_apart():
    first, second = safe_name("a" * 70 + "one"), safe_name("a" * 70 + "two")
    assert len(first) == len(second) == 64 and first != second and TOOL_NAME.match(first)


async def test_a_server_that_says_its_tools_changed_is_listed_again(registry_of):
    lines: list[str] = []
    changed = asyncio.Event()

    def log(line: str) -> None:
        lines.append(line)
        if "tools changed" in line:
            changed.set()

    registry = registry_of(stdio_config("local"), log=log)
    await started(registry)
    assert "extra" not in by_name(registry, ["local"])
    assert (await registry.call(by_name(registry, ["local"])["grow"], {}, timeout=30)).output == "grown"
    await asyncio.wait_for(changed.wait(), 60)
    extra = by_name(registry, ["local"])["extra"]
    assert extra.description == "Added while running."
    assert (await registry.call(extra, {}, timeout=30)).output == "extra here"

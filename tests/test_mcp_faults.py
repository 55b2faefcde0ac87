"""MCP servers that misbehave, each a real process: every fault is one clear line, and the
other servers (and the turn) go on. The deadlines set here are the product's settings, made
short so a hang ends; what is asserted is the line the user reads and what the server saw."""

from __future__ import annotations

import asyncio
import sys

import pytest

from rtchat.config_rules import McpServer, ToolSettings
from rtchat.tools.registry import ServerState, ToolRegistry
from tests.support.mcp_servers import DIED, HUGE_CHARS, WAIT_CANCELLED, WAIT_STARTED, http_process, http_server, stdio_config
from tests.support.wait import Log


@pytest.fixture
async def make():
    made = []

    def registry(*configs, log=None, **settings):
        made.append(ToolRegistry({config.name: config for config in configs}, ToolSettings(**settings), log=log))
        return made[-1]

    yield registry
    for each in made:
        await each.aclose()


async def start(registry, *names):
    notices: list[str] = []
    await registry.start(names, notices.append)
    return notices


def tool(registry, server, name):
    return next(tool for tool in registry.tools([server]) if tool.original == name)


async def test_a_server_that_never_answers_initialize_fails_at_the_start_deadline_and_the_rest_goes_on(make):
    settings = ToolSettings()
    registry = ToolRegistry({"good": stdio_config("good"), "silent": stdio_config("silent", "hang")}, settings)
    try:
        assert await start(registry, "good") == []
        settings.start_timeout = 0.5  # the [tools] setting, short so the silent one ends soon
        assert await start(registry, "good", "silent") == ["mcp server 'silent' did not start within 0.5 s"]
        assert {status.name: status.state for status in registry.status()} == {"good": ServerState.READY, "silent": ServerState.FAILED}
        assert (await registry.call(tool(registry, "good", "echo"), {"text": "still here"}, 30)).output == "still here"
        assert await start(registry, "good", "silent") == []  # one line per failure, not one per turn
    finally:
        await registry.aclose()


async def test_a_command_that_does_not_exist_is_one_line(make):
    registry = make(McpServer(name="ghost", command=("rtchat-no-such-command-here", "--serve")), stdio_config("good"))
    notices = await start(registry, "ghost", "good")
    assert notices == ["mcp server 'ghost' could not start 'rtchat-no-such-command-here': No such file or directory"]
    assert [status.state for status in registry.status()] == [ServerState.FAILED, ServerState.READY]


async def test_a_server_that_exits_at_once_says_its_last_stderr_line(make):
    registry = make(McpServer(name="broken", command=(sys.executable, "-c", "import sys; print('config file missing: ~/.notes.toml', file=sys.stderr); sys.exit(1)")))
    assert await start(registry, "broken") == ["mcp server 'broken' exited: config file missing: ~/.notes.toml"]
    assert registry.status()[0].problem == "exited: config file missing: ~/.notes.toml"


async def test_a_server_that_dies_mid_call_is_an_error_result_one_line_and_its_tools_leave(make):
    log = Log()
    registry = make(stdio_config("flaky"), stdio_config("good"), log=log)
    await start(registry, "flaky", "good")
    outcome = await registry.call(tool(registry, "flaky", "die"), {}, 30)
    assert (outcome.is_error, outcome.status) == (True, "error")
    assert outcome.output == f"mcp server 'flaky' exited: {DIED}"
    assert await start(registry, "flaky", "good") == [f"mcp server 'flaky' exited: {DIED}"]
    assert [tool.server for tool in registry.tools(["flaky", "good"])] == ["good"] * len(registry.tools(["good"]))
    assert any(DIED in line for line in log.lines)  # stderr went to the debug log
    await registry.restart("flaky", notices := [])  # the user's retry
    assert notices == [] and registry.status()[0].state is ServerState.READY
    assert (await registry.call(tool(registry, "flaky", "echo"), {"text": "back"}, 30)).output == "back"


async def test_a_tool_error_is_an_error_result_and_a_protocol_error_says_the_server_refused(make):
    registry = make(stdio_config("local"))
    await start(registry, "local")
    failed = await registry.call(tool(registry, "local", "fail"), {"reason": "no row 42"}, 30)
    assert (failed.is_error, failed.status) == (True, "error") and "no row 42" in failed.output
    wrong = await registry.call(tool(registry, "local", "echo"), {"text": 7, "extra": {"deep": []}}, 30)
    assert wrong.is_error and wrong.status == "error"
    assert registry.status()[0].state is ServerState.READY  # the server goes on


async def test_a_result_of_megabytes_is_cut_at_the_limit(make):
    """Two megabytes on one line of stdio: past any line limit of a stream reader (64 KiB, 1 MiB),
    which is what the size adds over a result just past the cut."""
    registry = make(stdio_config("local"), max_result_chars=20_000)
    await start(registry, "local")
    outcome = await registry.call(tool(registry, "local", "huge"), {}, 120)
    assert len(outcome.output) < 20_100 and outcome.output.endswith(f"[cut: {HUGE_CHARS - 20_000} more characters]")


async def test_output_that_is_not_json_rpc_goes_to_the_log_and_the_call_ends_at_its_deadline(make):
    log = Log()
    registry = make(stdio_config("noisy"), log=log)
    await start(registry, "noisy")
    outcome = await registry.call(tool(registry, "noisy", "garbage"), {}, 1.0)
    assert (outcome.status, outcome.is_error) == ("timeout", True)
    assert outcome.output.startswith("The tool did not answer within 1 s") and "not JSON-RPC" in outcome.output
    assert any("not JSON-RPC" in line and "this is not json" in line for line in log.lines)


async def test_a_banner_on_stdout_before_the_protocol_is_logged_and_the_server_works(make):
    log = Log()
    registry = make(stdio_config("chatty", "banner"), log=log)
    assert await start(registry, "chatty") == []
    assert (await registry.call(tool(registry, "chatty", "echo"), {"text": "ok"}, 30)).output == "ok"
    assert any("not JSON-RPC" in line and "Welcome to the test serv" in line for line in log.lines)


async def test_cancelling_a_call_sends_the_cancellation_the_server_sees(make):
    log = Log()
    registry = make(stdio_config("local"), log=log)
    await start(registry, "local")
    call = asyncio.create_task(registry.call(tool(registry, "local", "wait"), {}, 300))
    await log.saw(WAIT_STARTED)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await log.saw(WAIT_CANCELLED)
    assert (await registry.call(tool(registry, "local", "echo"), {"text": "next"}, 30)).output == "next"


async def test_a_call_past_its_deadline_is_a_timeout_and_the_server_is_told(make):
    log = Log()
    registry = make(stdio_config("local"), log=log)
    await start(registry, "local")
    outcome = await registry.call(tool(registry, "local", "wait"), {}, 0.5)
    assert (outcome.status, outcome.is_error, outcome.output) == ("timeout", True, "The tool did not answer within 0.5 s.")
    await log.saw(WAIT_CANCELLED)


async def test_ctrl_c_during_a_call_in_a_turn_cancels_it_at_the_server(make):
    from rtchat.conversation import ToolCall
    from rtchat.tools.approval import ConversationTools, Decision
    from rtchat.tools.runner import ToolSession

    class Yes:  # the person at the keyboard (the true edge) pressing y
        async def decide(self, request):
            return Decision.ONCE

    log = Log()
    registry = make(stdio_config("local", tools=("wait",)), log=log)
    session = ToolSession(registry, Yes(), ConversationTools(), ToolSettings(), "openai")
    await session.offer(lambda event: None)
    events = []
    turn = asyncio.create_task(session.run([ToolCall("call_1", "wait", "{}")], events.append))
    await log.saw(WAIT_STARTED)
    turn.cancel()  # what Ctrl-C does to the turn's task
    with pytest.raises(asyncio.CancelledError):
        await turn
    await log.saw(WAIT_CANCELLED)
    assert [type(event).__name__ for event in events] == ["ToolCallRequest"]  # the fold answers the open call as interrupted


async def test_cancelling_a_call_over_streamable_http_posts_the_cancellation(make):
    async with http_server() as served:
        registry = make(McpServer(name="remote", url=served.url))
        await start(registry, "remote")
        call = asyncio.create_task(registry.call(tool(registry, "remote", "wait"), {}, 300))
        await served.saw('"name":"wait"')
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await served.saw('"method":"notifications/cancelled"')
        assert (await registry.call(tool(registry, "remote", "echo"), {"text": "next"}, 30)).output == "next"
        await registry.aclose()


async def test_a_streamable_http_server_killed_mid_call_is_one_line_an_error_result_and_the_turn_goes_on(loopback, make):
    from rtchat.config import load_config
    from rtchat.conversation import Conversation
    from rtchat.events import Done, Notice, ToolCallResult
    from rtchat.session import Session
    from rtchat.tools.approval import ConversationTools
    from rtchat.tools.runner import ToolSession
    from tests.support.approvers import Yes
    from tests.support.turns import text_of

    session = Session(load_config())
    async with http_process() as served:
        registry = make(McpServer(name="remote", url=served.url), demo=False)
        try:
            target = await session.resolve("loopback/tools", loopback.url + "/v1")
            tools = ToolSession(registry, Yes(), ConversationTools(), ToolSettings(), target.provider.id)
            conversation = Conversation()
            conversation.add_user("wait()")
            events = []

            async def turn() -> None:
                async for event in session.turn(target, conversation, tools=tools).events():
                    events.append(event)

            running = asyncio.create_task(turn())
            said = asyncio.create_task(served.said(WAIT_STARTED))
            await asyncio.wait([running, said], return_when=asyncio.FIRST_COMPLETED)
            assert said.done() and not running.done(), (events, served.stderr)
            said.result()
            served.process.kill()  # the server dies with the call in flight
            await asyncio.wait_for(running, 120)  # the deadline only stops a hang
        finally:
            await session.aclose()
    [result] = [event for event in events if isinstance(event, ToolCallResult)]
    assert (result.status, result.is_error, result.server) == ("error", True, "remote")
    assert result.output == "mcp server 'remote' closed the connection" and "\n" not in result.output, result.output
    assert not [event for event in events if isinstance(event, Notice) and event.level == "warning" and "remote" in event.text]  # said once: in the result
    assert isinstance(events[-1], Done) and events[-1].reason == "complete"
    assert result.output in text_of(events)  # the model was told, and answered
    assert registry.status()[0].state is ServerState.FAILED


async def test_an_env_secret_a_server_prints_is_redacted_in_the_notice_status_and_log(make):
    log = Log()
    leaky = McpServer(name="leaky", command=(sys.executable, "-c", "import os, sys; print('bad token', os.environ['NOTES_TOKEN'], file=sys.stderr); sys.exit(2)"), env={"NOTES_TOKEN": "s3cr3t-token-value"})
    registry = make(leaky, log=log)
    assert await start(registry, "leaky") == ["mcp server 'leaky' exited: bad token [redacted]"]
    assert "s3cr3t" not in repr(registry.status()) and not any("s3cr3t" in line for line in log.lines)
    assert any("bad token [redacted]" in line for line in log.lines)

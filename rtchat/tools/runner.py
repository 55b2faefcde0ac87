"""One turn's tools: what is offered, and each call approved by the user and run in order.

`ToolSession` implements `turns.tool_steps.ToolRunner` on top of a `ToolRegistry` (the servers),
an `Approver` (the user) and a conversation's `ConversationTools` (its choices). Only the user's
decision lets a call run: a server's `always_allow` and the conversation's "always" set are
decisions the user made earlier.

A tool's images go to the model only when `image_problem` (the model's capability and the
wire's limits: `session.attachment_problem`) has nothing against them; otherwise, and when no
gate is given, the model reads the result's one-line description of each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rtchat.attachments import Attachment
from rtchat.config_rules import McpServer, ToolSettings
from rtchat.conversation import ToolCall, ToolSpec
from rtchat.events import Notice, ToolCallRequest, ToolCallResult, ToolImage
from rtchat.tools.approval import Approver, ConversationTools, Decision, ToolRequest
from rtchat.tools.registry import Tool, ToolRegistry
from rtchat.turns.tool_steps import Put

DECLINED = "The user declined this tool call."
NOT_AN_OBJECT = "The arguments of this call are not a JSON object; call the tool again with a JSON object of arguments."


def unknown_tool_text(name: str) -> str:
    return f"There is no tool named {name!r} in this conversation; use one of the tools offered."


class ToolSession:
    """The tools of one conversation's turns, for one provider (see the module docstring)."""

    def __init__(
        self,
        registry: ToolRegistry,
        approver: Approver,
        choices: ConversationTools,
        settings: ToolSettings,
        provider_id: str,
        save_always: Callable[[str, str], None] | None = None,
        image_problem: Callable[[Attachment], str | None] | None = None,
    ) -> None:
        self.registry = registry
        self.approver = approver
        self.choices = choices
        self.settings = settings
        self.provider_id = provider_id
        self.save_always = save_always
        self.image_problem = image_problem
        self._offered: dict[str, Tool] = {}
        self._remote: set[str] = set()  # servers the provider reaches itself this turn: not started here

    @property
    def max_steps(self) -> int:
        return self.settings.max_steps

    def server_names(self) -> list[str]:
        """The servers this provider may use, minus the ones this conversation switched off."""
        if self.choices.off:
            return []
        names = self.registry.servers_for(self.provider_id)
        return names if self.choices.servers is None else [name for name in names if name in self.choices.servers]

    def remote_servers(self) -> tuple[McpServer, ...]:
        servers = [self.registry.config_of(name) for name in self.server_names()]
        return tuple(server for server in servers if server is not None and server.url and server.realtime == "remote")

    def leave_out(self, names: set[str]) -> None:
        self._remote = set(names)

    async def approve_remote(self, request: ToolCallRequest) -> bool:
        """A remote server's call, decided like a local one (always_allow and "always" answer at once)."""
        key = f"{request.server}/{request.name}"
        if key in self.choices.always or request.name in self.registry.always_allowed(request.server or ""):
            return True
        call = ToolCall(request.id, request.name, request.arguments)
        decision = await self.approver.decide(ToolRequest(call, request.server or "", request.name, ""))
        if decision in (Decision.ALWAYS, Decision.SAVE):
            self.choices.always.add(key)
        if decision is Decision.SAVE and self.save_always is not None:
            self.save_always(request.server or "", request.name)
        return decision is not Decision.DENY

    async def offer(self, put: Put) -> tuple[ToolSpec, ...]:
        remote, self._remote = self._remote, set()  # `leave_out` holds for one offer
        names = [name for name in self.server_names() if name not in remote]
        if not names:
            self._offered = {}
            return ()
        await self.registry.start(names, lambda line: put(Notice(line, "warning")))
        tools = [tool for tool in self.registry.tools(names) if tool.name not in self.choices.disabled_tools]
        self._offered = {tool.name: tool for tool in tools}
        return tuple(tool.spec() for tool in tools)

    async def run(self, calls: Sequence[ToolCall], put: Put) -> None:
        for call in calls:
            await self._run_one(call, put)

    async def _run_one(self, call: ToolCall, put: Put) -> None:
        tool = self._offered.get(call.name)
        server = tool.server if tool else None
        put(ToolCallRequest(call.id, call.name, server, call.arguments))

        def result(output: str, status: str, *, is_error: bool = True, ms: float | None = None, images: tuple[ToolImage, ...] = ()) -> None:
            put(ToolCallResult(call.id, call.name, output, is_error, ms, server, status, images))  # type: ignore[arg-type]

        if tool is None:
            return result(unknown_tool_text(call.name), "unknown_tool")
        arguments = call.parsed()
        if arguments is None:
            return result(NOT_AN_OBJECT, "error")
        if not self._always_allowed(tool):
            decision = await self.approver.decide(ToolRequest(call, tool.server, tool.original, tool.description))
            if decision is Decision.DENY:
                return result(DECLINED, "denied")
            if decision in (Decision.ALWAYS, Decision.SAVE):
                self.choices.always.add(always_key(tool))
            if decision is Decision.SAVE and self.save_always is not None:
                self.save_always(tool.server, tool.original)
        outcome = await self.registry.call(tool, arguments, self.settings.call_timeout)
        result(outcome.output, outcome.status, is_error=outcome.is_error, ms=outcome.ms, images=self._readable(outcome.images))

    def _readable(self, images: tuple[ToolImage, ...]) -> tuple[ToolImage, ...]:
        """The images this model reads (see the module docstring)."""
        gate = self.image_problem
        return tuple(image for image in images if gate is not None and gate(Attachment(image.name, image.media_type, image.data)) is None)

    def _always_allowed(self, tool: Tool) -> bool:
        if always_key(tool) in self.choices.always:
            return True
        return tool.original in self.registry.always_allowed(tool.server)


def always_key(tool: Tool) -> str:
    """How `ConversationTools.always` names a tool: "server/tool" (the server's own tool name)."""
    return f"{tool.server}/{tool.original}"

"""OpenAI Realtime, both dialects: client events to send, server events decoded, the session.

The same JSON events travel over the WebSocket and over the WebRTC data
channel, so both transports share this module, and `RealtimeProtocol` is the
one session object text turns and voice use over either. Pure: no I/O.

Two dialects are alive: GA (`session.type: "realtime"`, `output_modalities`,
`audio.*`, `response.output_text.delta`) and beta (`modalities`,
`input_audio_format`, `response.text.delta`), still spoken by Azure preview
deployments and many Realtime-compatible servers. The decoder reads both name
sets always; what rtchat *sends* follows the dialect the server announced in
`session.created` (or the provider's `realtime_dialect`), because a beta server
refuses GA fields with `unknown_parameter` and vice versa.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rtchat.config_rules import McpServer
from rtchat.conversation import ChatMessage, Conversation, ToolCall, ToolResult, ToolSpec
from rtchat.events import AnswerAudioStarted, AnswerAudioStopped, AudioChunk, Done, Error, Event, Notice, SpeechStarted, SpeechStopped, TextDelta, ToolCallDelta, ToolCallRequest, ToolCallResult, Transcript, Truncated, Usage
from rtchat.secrets import redact
from rtchat.wire.base import binary_attachments, done_reason, mapping, pcm16_audio, reported_usage, user_text
from rtchat.wire.socket_protocol import FrameQueues, decode_frame, ServerContext

AUDIO_RATE = 24000
GA, BETA = "ga", "beta"
TRANSCRIBER = "gpt-4o-mini-transcribe"
VAD_MODES = ("server_vad", "semantic_vad")  # hands-free; None is push-to-talk

# beta server event names -> the GA name the decoder handles
BETA_NAMES = {
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "conversation.item.created": "conversation.item.added",
}

DONE_STATUS = {"completed": "complete", "cancelled": "interrupted"}
INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "refusal"}


# ---- client events


def dialect_of(session: dict) -> str | None:
    """The dialect a `session.created` announces: GA has `type: "realtime"`, beta has `modalities`."""
    if session.get("type") == "realtime" or "output_modalities" in session:
        return GA
    if session.get("object") == "realtime.session" and "modalities" in session:
        return BETA
    return None


def turn_detection(vad: str | None) -> dict | None:
    """Hands-free (`server_vad` / `semantic_vad`): the server hears where speech starts and stops,
    answers at the stop and cuts its own answer at a start. None: push-to-talk, the client commits.
    The same object in both dialects (GA under `audio.input`, beta at the session's top level)."""
    if vad is None:
        return None
    if vad not in VAD_MODES:
        raise ValueError(f"turn detection is one of {', '.join(VAD_MODES)}")
    detection: dict[str, Any] = {"type": vad, "create_response": True, "interrupt_response": True}
    if vad == "server_vad":
        detection.update(threshold=0.5, prefix_padding_ms=300, silence_duration_ms=500)
    else:
        detection["eagerness"] = "auto"
    return detection


def session_update(modalities: list[str], instructions: str | None = None, voice: str | None = None, transcribe: bool = False, dialect: str = GA, vad: str | None = None) -> dict:
    """PCM16 at 24 kHz in and out, in the server's dialect; `vad` None is push-to-talk (no server VAD)."""
    if dialect == BETA:
        return beta_session_update(modalities, instructions, voice, transcribe, vad)
    audio_input: dict[str, Any] = {"format": {"type": "audio/pcm", "rate": AUDIO_RATE}, "turn_detection": turn_detection(vad)}
    if transcribe:
        audio_input["transcription"] = {"model": TRANSCRIBER}
    session: dict[str, Any] = {
        "type": "realtime",
        "output_modalities": modalities,
        "audio": {"input": audio_input, "output": {"format": {"type": "audio/pcm", "rate": AUDIO_RATE}}},
    }
    if voice:
        session["audio"]["output"]["voice"] = voice
    if instructions:
        session["instructions"] = instructions
    return {"type": "session.update", "session": session}


def beta_session_update(modalities: list[str], instructions: str | None, voice: str | None, transcribe: bool, vad: str | None = None) -> dict:
    """The beta shape: flat formats, and audio answers always come with their text (`["audio", "text"]`)."""
    session: dict[str, Any] = {
        "modalities": ["audio", "text"] if "audio" in modalities else ["text"],
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "turn_detection": turn_detection(vad),
    }
    if transcribe:
        session["input_audio_transcription"] = {"model": TRANSCRIBER}
    if voice:
        session["voice"] = voice
    if instructions:
        session["instructions"] = instructions
    return {"type": "session.update", "session": session}


def vad_update(vad: str | None, dialect: str = GA) -> dict:
    """Switch between push-to-talk and hands-free mid-session, touching nothing else."""
    if dialect == BETA:
        return {"type": "session.update", "session": {"turn_detection": turn_detection(vad)}}
    return {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": turn_detection(vad)}}}}


def instructions_update(instructions: str, dialect: str = GA) -> dict:
    """Only the system prompt; GA needs the session type on every update, beta refuses it."""
    session: dict[str, Any] = {"instructions": instructions}
    if dialect != BETA:
        session["type"] = "realtime"
    return {"type": "session.update", "session": session}


def function_tool(spec: ToolSpec) -> dict:
    """A tool as `session.tools` declares it (the same shape in both dialects)."""
    return {"type": "function", "name": spec.name, "description": spec.description, "parameters": spec.parameters}


def mcp_tool(server: McpServer) -> dict:
    """A remote MCP server the provider reaches itself (GA only). rtchat's rule: every call is
    approved by the user, except the tools in `always_allow` (openai-python's
    `require_approval` filter `{"never": {"tool_names": [...]}}`; unlisted tools still ask)."""
    tool: dict[str, Any] = {"type": "mcp", "server_label": server.name, "server_url": server.url}
    if server.tools is not None:
        tool["allowed_tools"] = list(server.tools)
    tool["require_approval"] = {"never": {"tool_names": list(server.always_allow)}} if server.always_allow else "always"
    if server.headers:
        tool["headers"] = dict(server.headers)
    return tool


def tools_update(tools: Sequence[ToolSpec], dialect: str = GA, tool_choice: str = "auto", remote: Sequence[McpServer] = ()) -> dict:
    """Only the offered tools (an empty list takes them all away); GA needs the session type, beta refuses it.
    `remote`: MCP servers the provider reaches itself (GA only: the caller never passes them for beta)."""
    declared = [function_tool(spec) for spec in tools] + [mcp_tool(server) for server in remote]
    session: dict[str, Any] = {"tools": declared, "tool_choice": tool_choice if declared else "none"}
    if dialect != BETA:
        session["type"] = "realtime"
    return {"type": "session.update", "session": session}


def function_call_output(result: ToolResult) -> dict:
    """One call's result as a conversation item; `response.create` follows once every call of the response has one."""
    return {"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": result.call_id, "output": result.output}}


def mcp_approval_response(request_id: str, approve: bool) -> dict:
    """The user's answer to a remote server's `mcp_approval_request`; `response.create` follows.
    openai-python's item type requires an `id`: derived from the request's (items ids are at most 32 characters)."""
    item = {"type": "mcp_approval_response", "id": f"answer_{request_id[-25:]}", "approval_request_id": request_id, "approve": approve}
    return {"type": "conversation.item.create", "item": item}


def remote_call(call: ToolCall) -> bool:
    """A call a remote MCP server ran inside the provider: history shows it, the wire never re-sends it."""
    return call.extra.get("remote_mcp") == "1"


def items_create(message: ChatMessage) -> list[dict]:
    """A message with its tool steps, to (re)build context on a fresh socket: each step's words,
    its `function_call` items as received and their outputs, then the message's own words."""
    events: list[dict] = []
    for step in message.rounds:
        if step.text:
            events.append(item_create(ChatMessage("assistant", step.text)))
        remote = {call.id for call in step.calls if remote_call(call)}
        for call in step.calls:
            if call.id not in remote:
                events.append({"type": "conversation.item.create", "item": {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments}})
        events += [function_call_output(result) for result in step.results if result.call_id not in remote]
    if message.text or message.attachments or not message.rounds:
        events.append(item_create(message))
    return events


def item_create(message: ChatMessage) -> dict:
    """One conversation message, to (re)build context on a fresh socket.

    A user's images go as GA `input_image` parts (a data URL in `image_url`);
    text files go inside the words. Beta has no field for image bytes, so a
    beta session is refused images before this is built (`attachments.socket_problem`)."""
    if message.role != "user":
        content = [{"type": "output_text", "text": message.text}]
    else:
        content = [{"type": "input_text", "text": user_text(message)}]
        content += [{"type": "input_image", "image_url": a.data_url()} for a in binary_attachments(message)]
    return {"type": "conversation.item.create", "item": {"type": "message", "role": message.role, "content": content}}


def image_item(data_url: str) -> dict:
    """A shared frame as a user message of one `input_image` part (GA only: beta has no field for
    image bytes): what a spoken turn carries, created before the turn's `response.create`."""
    return {"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [{"type": "input_image", "image_url": data_url}]}}


def response_create(**response: Any) -> dict:
    return {"type": "response.create", "response": response} if response else {"type": "response.create"}


def response_cancel() -> dict:
    return {"type": "response.cancel"}


def audio_append(pcm16: bytes) -> dict:
    return {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm16).decode("ascii")}


def audio_commit() -> dict:
    return {"type": "input_audio_buffer.commit"}


def audio_clear() -> dict:
    return {"type": "input_audio_buffer.clear"}


def output_audio_clear() -> dict:
    """WebRTC only: drop audio the server has queued but not yet sent."""
    return {"type": "output_audio_buffer.clear"}


def item_truncate(item_id: str, audio_end_ms: int, content_index: int = 0) -> dict:
    """Tell the server how much of an answer was actually heard, after a barge-in."""
    return {"type": "conversation.item.truncate", "item_id": item_id, "content_index": content_index, "audio_end_ms": audio_end_ms}


# ---- server events


def usage_from(usage: object) -> list[Event]:
    usage = mapping(usage)
    said = {"input_tokens": usage.get("input_tokens"), "output_tokens": usage.get("output_tokens"), "cached_tokens": mapping(usage.get("input_token_details")).get("cached_tokens")}
    return reported_usage(Usage(**said), said)


def _ms(value: Any) -> int:
    """A millisecond figure as the server says it; 0 when it says none (or nonsense)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


REMOTE_INDEX = 10_000  # a remote MCP call's place in the fold, apart from the function calls streaming beside it
ASKED_INDEX = 5_000  # after REMOTE_INDEX: the calls a turn shows for approval requests, apart from the ones the decoder shows
REMOTE = (("remote_mcp", "1"),)


def remote_call_events(index: int, item_id: str, name: str, server: str, arguments: str, output: str, status: str = "ok", ms: float | None = None) -> list[Event]:
    """A call a remote MCP server ran in the vocabulary local calls use, so the same card and
    history block show it: the call, its request, its result (closing it; `ms`: how long it ran)."""
    return remote_call_asked(index, item_id, name, server, arguments) + [remote_call_result(item_id, name, server, output, status, ms)]


def remote_call_asked(index: int, item_id: str, name: str, server: str, arguments: str) -> list[Event]:
    """A remote call shown before it has a result (an approval request: its card asks)."""
    return [ToolCallDelta(REMOTE_INDEX + index, item_id, name, arguments, REMOTE), ToolCallRequest(item_id, name, server, arguments)]


def remote_call_result(item_id: str, name: str, server: str, output: str, status: str = "ok", ms: float | None = None) -> ToolCallResult:
    return ToolCallResult(item_id, name, output, status != "ok", ms, server, status)  # type: ignore[arg-type]


def _mcp_error_text(error: object) -> str:
    error = mapping(error)
    return str(error.get("message") or error.get("type") or "the remote MCP call failed")


RESPONSE_EVENTS = ("response.output_text.delta", "response.output_audio_transcript.delta", "response.output_audio.delta", "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done")
SYNTHETIC = (("synthetic_id", "1"),)


class _CallSeen:
    """A function call of the response now streaming: its place in the answer and what of its
    arguments was handed on (the deltas; `.done` and `response.done` add only what is missing)."""

    __slots__ = ("index", "call_id", "item_id", "named", "sent")

    def __init__(self, index: int, call_id: str, item_id: str | None, named: bool) -> None:
        self.index, self.call_id, self.item_id, self.named, self.sent = index, call_id, item_id, named, ""


class _RemoteCall:
    """A remote MCP call the provider is running: its card (`card`: its own id, or the approval
    request's whose card asked), the arguments shown so far, and when it began."""

    __slots__ = ("index", "card", "name", "server", "started", "asked", "sent", "requested")

    def __init__(self, index: int, card: str, name: str, server: str, started: float, asked: bool = False) -> None:
        self.index, self.card, self.name, self.server, self.started, self.asked = index, card, name, server, started, asked
        self.sent, self.requested = "", False

    def arguments(self, whole: str) -> list[Event]:
        """The part of `whole` not shown yet."""
        if not whole.startswith(self.sent) or len(whole) == len(self.sent):
            return []
        delta, self.sent = whole[len(self.sent):], whole
        return [ToolCallDelta(self.index, arguments=delta)]

    def request(self) -> list[Event]:
        """The call, whole, as it runs (once)."""
        if self.requested:
            return []
        self.requested = True
        return [ToolCallRequest(self.card, self.name, self.server, self.sent)]


def _response_id(payload: dict) -> str | None:
    """The response a server event belongs to (`response_id`, or `response.id` on created/done)."""
    found = payload.get("response_id")
    if found is None and isinstance(payload.get("response"), dict):
        found = payload["response"].get("id")
    return found if isinstance(found, str) and found else None


class RealtimeDecoder:
    """Server events to rtchat events; remembers what a transport needs (ids, state).

    One response streams at a time: events are routed by response id, so a second
    response the server interleaves (or a `response.done` for a response that never
    began) is skipped with a notice instead of being merged into the answer or ending it."""

    def __init__(self) -> None:
        self.session_ready = False
        self.response_active = False
        self.response_id: str | None = None  # the response now streaming, as `response.created` named it
        self._foreign: set[str] = set()  # responses begun while another streamed: not ours to show
        self.current_item_id: str | None = None
        self.dialect: str | None = None  # as the server's session.created announced it
        self.calls: list[_CallSeen] = []  # the function calls of the response now streaming
        self.approvals: list[ToolCallRequest] = []  # remote MCP calls waiting for the user (`mcp_approval_request` items)
        self._remote_seen: set[str] = set()  # mcp_call / approval items already shown (each item arrives twice)
        self._asked: set[str] = set()  # approval requests handed to the turn: their calls' cards are shown already
        self._remote_calls: dict[str, _RemoteCall] = {}  # mcp_call item id -> the call shown while the provider runs it
        self._remote_count = 0
        self.clock = time.perf_counter  # a remote call's running time, as local calls have theirs
        self._steps: set[str] = set()  # responses that ended asking for calls: their audio's end is not the answer's
        self._tool_lists: dict[str, tuple[str, int | None]] = {}  # mcp_list_tools item id -> (server label, tools)

    def _call(self, call_id: object, item_id: object, name: object = None) -> tuple[_CallSeen, list[Event]]:
        """The call these ids name, announced (id and name) the first time it is seen."""
        named = isinstance(name, str) and bool(name)
        for seen in self.calls:
            if (call_id and seen.call_id == call_id) or (item_id and seen.item_id == item_id):
                if named and not seen.named:
                    seen.named = True
                    return seen, [ToolCallDelta(seen.index, name=name)]  # type: ignore[arg-type]
                return seen, []
        index = len(self.calls)
        given = call_id if isinstance(call_id, str) and call_id else None
        seen = _CallSeen(index, given or f"call_rtchat_{index + 1}", item_id if isinstance(item_id, str) else None, named)
        self.calls.append(seen)
        return seen, [ToolCallDelta(index, seen.call_id, name if named else None, extra=() if given else SYNTHETIC)]  # type: ignore[arg-type]

    def _call_whole(self, call_id: object, item_id: object, name: object, arguments: object) -> list[Event]:
        """A call's arguments as `.done` or `response.done` give them whole: only the part no delta carried."""
        seen, events = self._call(call_id, item_id, name)
        if isinstance(arguments, str) and arguments.startswith(seen.sent) and len(arguments) > len(seen.sent):
            events.append(ToolCallDelta(seen.index, arguments=arguments[len(seen.sent):]))
            seen.sent = arguments
        return events

    def feed_text(self, frame: str | bytes) -> list[Event]:
        return decode_frame(frame, self.feed)

    def _remote_item(self, item: object) -> list[Event]:
        """An `mcp_call` item (a remote call, with its output or error) or an `mcp_approval_request`
        (kept for the turn to put to the user); each once, though servers send an item more than once."""
        item = mapping(item)
        kind, item_id = item.get("type"), item.get("id")
        if kind not in ("mcp_call", "mcp_approval_request") or not isinstance(item_id, str) or item_id in self._remote_seen:
            return []
        name, server, arguments = str(item.get("name") or ""), str(item.get("server_label") or ""), item.get("arguments")
        arguments = arguments if isinstance(arguments, str) else ""
        if kind == "mcp_approval_request":
            self._remote_seen.add(item_id)
            self._asked.add(item_id)
            self.approvals.append(ToolCallRequest(item_id, name, server, arguments))
            return []
        if item.get("output") is None and item.get("error") is None and item.get("status") == "in_progress":
            return self._remote_begun(item)  # announced: its result comes with the item's `.done`
        self._remote_seen.add(item_id)
        error = item.get("error")
        status = "error" if error else "ok"
        output = _mcp_error_text(error) if error else str(item.get("output") or "")
        call = self._remote_calls.pop(item_id, None)
        ms = None if call is None else (self.clock() - call.started) * 1000
        if call is None:
            asked = item.get("approval_request_id")
            if isinstance(asked, str) and asked in self._asked:  # the card its approval asked on takes the result
                return [remote_call_result(asked, name, server, output, status, ms)]
            self._remote_count += 1
            return remote_call_events(self._remote_count, item_id, name, server, arguments, output, status, ms)
        events = [] if call.asked else call.arguments(arguments) + call.request()
        return events + [remote_call_result(call.card, name or call.name, server or call.server, output, status, ms)]

    def _remote_begun(self, item: dict) -> list[Event]:
        """A remote call the provider starts: its card (unless its approval's card shows it) grows
        with the arguments and runs, with its running time, until the item's `.done`."""
        item_id = item.get("id")
        if not isinstance(item_id, str) or item_id in self._remote_seen or item_id in self._remote_calls:
            return []
        asked = item.get("approval_request_id")
        name, server = str(item.get("name") or ""), str(item.get("server_label") or "")
        if isinstance(asked, str) and asked in self._asked:
            self._remote_calls[item_id] = _RemoteCall(0, asked, name, server, self.clock(), asked=True)
            return []
        self._remote_count += 1
        call = self._remote_calls[item_id] = _RemoteCall(REMOTE_INDEX + self._remote_count, item_id, name, server, self.clock())
        return [ToolCallDelta(call.index, item_id, name, "", REMOTE)]

    def _remote_progress(self, kind: str, payload: dict) -> list[Event]:
        """`response.mcp_call_arguments.*` grow the call's card; `response.mcp_call.in_progress` runs it."""
        call = self._remote_calls.get(payload.get("item_id"))  # type: ignore[arg-type]
        if call is None or call.asked:
            return []
        if kind == "response.mcp_call_arguments.delta" and isinstance(payload.get("delta"), str):
            return call.arguments(call.sent + payload["delta"])
        if kind == "response.mcp_call_arguments.done" and isinstance(payload.get("arguments"), str):
            return call.arguments(payload["arguments"])
        if kind == "response.mcp_call.in_progress":
            return call.request()
        return []

    @property
    def remote_ids(self) -> set[str]:
        """Ids of remote items (MCP calls, approval requests, tool lists): never function calls."""
        return self._remote_seen

    def _tool_list(self, kind: str, payload: dict) -> list[Event]:
        """`mcp_list_tools.*` and the `mcp_list_tools` item: one line per remote server listed."""
        item = mapping(payload.get("item"))
        if item.get("type") == "mcp_list_tools" and isinstance(item.get("id"), str):
            tools = item.get("tools")
            self._tool_lists[item["id"]] = (str(item.get("server_label") or "?"), len(tools) if isinstance(tools, list) and (tools or kind.endswith(".done")) else None)
            kind, item_id = "mcp_list_tools.completed", item["id"]
        else:
            item_id = payload.get("item_id")
        label, count = self._tool_lists.get(item_id, ("?", None)) if isinstance(item_id, str) else ("?", None)
        if kind == "mcp_list_tools.failed":
            self._tool_lists[item_id] = (label, -1)  # type: ignore[index]
            return [Notice(f"remote mcp '{label}': the provider could not list its tools (is the url reachable from the provider?)", "warning")]
        if kind == "mcp_list_tools.completed" and count is not None and count >= 0 and item_id not in self._remote_seen:
            self._remote_seen.add(item_id)  # type: ignore[arg-type]
            return [Notice(f"remote mcp '{label}': {count} tool{'s' if count != 1 else ''}")]
        return []

    def feed(self, payload: dict) -> list[Event]:
        kind = payload.get("type", "")
        kind = BETA_NAMES.get(kind, kind)
        response_id = _response_id(payload) if kind.startswith("response.") else None
        if response_id is not None and response_id in self._foreign:
            if kind == "response.done":
                self._foreign.discard(response_id)
            return []
        if kind == "response.created" and self.response_active and response_id not in (None, self.response_id):
            self._foreign.add(response_id)  # type: ignore[arg-type]
            return [Notice(f"the server began response {response_id} while {self.response_id} was still streaming (a protocol error); rtchat skips it", "warning")]
        if kind in RESPONSE_EVENTS and self.response_active and self.response_id and response_id not in (None, self.response_id):
            return []  # a response rtchat never saw begin, mid-answer: not part of this answer
        if kind in RESPONSE_EVENTS and not self.response_active:
            self.response_active = True  # a server that skips `response.created`: its first content begins the response
            self.response_id = response_id
        if kind == "response.done" and not self.response_active and response_id is not None:
            return [Notice(f"the server ended response {response_id} before it began it (a protocol error); rtchat skipped that end", "warning")]
        if kind in ("session.created", "session.updated"):
            self.session_ready = True
            if self.dialect is None and isinstance(payload.get("session"), dict):
                self.dialect = dialect_of(payload["session"])
            return []
        if kind == "response.created":
            self.response_active = True
            self.response_id = response_id
            self.calls = []
            self.approvals = []
            return []
        if kind == "input_audio_buffer.speech_started":
            return [SpeechStarted(_ms(payload.get("audio_start_ms")))]
        if kind == "input_audio_buffer.speech_stopped":
            return [SpeechStopped(_ms(payload.get("audio_end_ms")))]
        if kind == "output_audio_buffer.started":
            return [AnswerAudioStarted()]
        if kind == "output_audio_buffer.stopped" and payload.get("response_id") in self._steps:
            return []  # a tool step's "let me check" played out (maybe after rtchat sent the outputs): the answer goes on
        if kind in ("output_audio_buffer.stopped", "output_audio_buffer.cleared"):
            return [AnswerAudioStopped()]
        if kind == "conversation.item.truncated":
            return [Truncated(_ms(payload.get("audio_end_ms")))]
        if kind.startswith("mcp_list_tools.") or (kind in ("conversation.item.added", "conversation.item.done") and mapping(payload.get("item")).get("type") == "mcp_list_tools"):
            return self._tool_list(kind, payload)
        if kind == "response.output_item.done":
            return self._remote_item(payload.get("item"))
        if kind.startswith(("response.mcp_call_arguments.", "response.mcp_call.")):
            return self._remote_progress(kind, payload)  # the item's `.done` carries the whole arguments and the result
        if kind == "response.output_item.added":
            item = payload.get("item") or {}
            if item.get("type") == "message":
                self.current_item_id = item.get("id")
            if item.get("type") == "function_call":
                return self._call_whole(item.get("call_id"), item.get("id"), item.get("name"), item.get("arguments"))
            if item.get("type") == "mcp_call":
                return self._remote_begun(item)
            return []
        if kind == "response.function_call_arguments.delta":
            seen, events = self._call(payload.get("call_id"), payload.get("item_id"))
            delta = payload.get("delta")
            if isinstance(delta, str) and delta:
                seen.sent += delta
                events.append(ToolCallDelta(seen.index, arguments=delta))
            return events
        if kind == "response.function_call_arguments.done":
            return self._call_whole(payload.get("call_id"), payload.get("item_id"), payload.get("name"), payload.get("arguments"))
        if kind == "response.output_text.delta":
            return [TextDelta(payload["delta"])] if payload.get("delta") else []
        if kind == "response.output_audio_transcript.delta":
            return [Transcript("assistant", payload["delta"])] if payload.get("delta") else []
        if kind == "response.output_audio.delta":
            return [pcm16_audio(base64.b64decode(payload.get("delta", ""), validate=True), AUDIO_RATE)]
        if kind == "conversation.item.input_audio_transcription.delta":
            return [Transcript("user", payload["delta"])] if payload.get("delta") else []
        if kind == "conversation.item.input_audio_transcription.completed":
            return [Transcript("user", payload.get("transcript", ""), final=True)]
        if kind == "response.done":
            self.response_active = False
            self.response_id = None
            response = payload.get("response") or {}
            events: list[Event] = []
            for item in response.get("output") or []:
                if isinstance(item, dict) and item.get("type") == "function_call":
                    events += self._call_whole(item.get("call_id"), item.get("id"), item.get("name"), item.get("arguments"))
                events += self._remote_item(item)
            called, self.calls = bool(self.calls) or bool(self.approvals), []
            if response.get("usage"):
                events += usage_from(response["usage"])
            status = response.get("status", "completed")
            details = response.get("status_details") or {}
            if status == "failed":
                error = details.get("error") or {}
                return events + [Error("server", f"the response failed: {error.get('message') or error.get('type') or 'no reason given'}"), Done("error")]
            if status == "incomplete":
                return events + [Done(INCOMPLETE_REASONS.get(details.get("reason", ""), "length"))]
            if status == "completed" and called:
                if isinstance(response.get("id"), str):
                    self._steps.add(response["id"])
                return events + [Done("tool_use")]  # the model waits for the calls' outputs
            return events + [Done(done_reason(DONE_STATUS, status))]
        if kind == "error":
            error = payload.get("error") or {}
            code = error.get("code") or error.get("type") or "error"
            if code == "response_cancel_not_active":
                return []  # a cancel that raced the end of the answer: harmless
            kind_name = "auth" if "auth" in str(code) or "key" in str(code) else "server"
            return [Error(kind_name, f"the realtime server reported {code}: {error.get('message', '')}".rstrip(": "))]
        return []


CONTENT = (TextDelta, Transcript, AudioChunk)


class RealtimeProtocol(FrameQueues):
    """One Realtime session: what the server holds, what a turn, a cancel or audio sends.

    `modalities` set: once the server says `session.created`, a `session.update`
    asks for answers in them (text turns). None: the caller configures the session
    itself (voice sends its own `session.update`).
    """

    def __init__(self, modalities: list[str] | None = None, dialect: str | None = None) -> None:
        super().__init__()
        self.modalities = modalities
        self.forced_dialect = dialect  # from the provider's config; None: as the server announces
        self.decoder = RealtimeDecoder()
        self.context = ServerContext()
        self.awaiting = False  # a request is out and its answer has not begun
        self._configured = False
        self.offered: tuple[ToolSpec, ...] = ()  # the tools this session was told of
        self.remote: tuple[McpServer, ...] = ()  # the remote MCP servers this session was told of
        self.remote_refused = False  # a beta server was found unable to take them (said once, kept across sessions)

    @property
    def ready(self) -> bool:
        return self.decoder.session_ready

    @property
    def response_active(self) -> bool:
        return self.decoder.response_active

    @property
    def dialect(self) -> str:
        return self.forced_dialect or self.decoder.dialect or GA

    @property
    def announced_dialect(self) -> str | None:
        """Configured, or announced by the server's session.created; None until then."""
        return self.forced_dialect or self.decoder.dialect

    def begin(self) -> None:
        """A new session (fresh socket or call): the server knows nothing yet."""
        self.decoder = RealtimeDecoder()
        self.context = ServerContext()
        self.awaiting = False
        self._configured = False
        self.offered = ()
        self.remote = ()
        self._events.clear()
        self._outgoing.clear()

    def configure(self) -> None:
        """Ask for answers in `modalities` (once per session)."""
        if self.modalities is not None and not self._configured:
            self._configured = True
            self.send(session_update(self.modalities, dialect=self.dialect))

    # ---- received

    def receive_data(self, data: str | bytes) -> None:
        events = self._redacted(self.decoder.feed_text(data))
        if self.decoder.session_ready:
            self.configure()
        if self.awaiting and any(isinstance(e, Error) for e in events) and not self.decoder.response_active and not any(isinstance(e, Done) for e in events):
            events.append(Done("error"))  # the request itself was refused: no answer will come
        if any(isinstance(e, (*CONTENT, Done)) for e in events):
            self.awaiting = False
        self._events += events

    def _redacted(self, events: list[Event]) -> list[Event]:
        """A remote server's header values (tokens) never reach the screen, even when the server
        quotes the session back in an error or a notice."""
        secrets = [value for server in self.remote for value in server.headers.values()]
        if not secrets:
            return events
        return [replace(e, message=redact(e.message, *secrets)) if isinstance(e, Error) else replace(e, text=redact(e.text, *secrets)) if isinstance(e, Notice) else e for e in events]

    # ---- to send

    def send_turn(self, conversation: Conversation, tools: Sequence[ToolSpec] = (), remote: Sequence[McpServer] = ()) -> None:
        """The messages the server lacks (the system prompt first on a new session), then `response.create`.

        The offered tools (and remote MCP servers, GA only) go in a `session.update` first when they
        differ from what the session was told (none offered and none told: nothing is sent, as before tools existed)."""
        if conversation.system and not self.context.known:
            self.send(instructions_update(conversation.system, self.dialect))
        if remote and self.dialect == BETA:
            names = ", ".join(f"'{server.name}'" for server in remote)
            self.remote_refused = True
            self._events.append(Notice(f"remote mcp {names}: this server speaks the Realtime beta dialect, which cannot reach MCP servers; left out of this turn (rtchat runs it locally from the next one)", "warning"))
            remote = ()
        if tuple(tools) != self.offered or tuple(remote) != self.remote:
            self.send(tools_update(tools, self.dialect, remote=remote))
            self.offered, self.remote = tuple(tools), tuple(remote)
        for message in self.context.unsent(conversation.messages):
            for event in items_create(message):
                self.send(event)
        self.send(response_create())
        self.context.sent(conversation.messages)
        self.awaiting = True

    def send_tool_results(self, results: Sequence[ToolResult], approvals: Sequence[tuple[str, bool]] = ()) -> bool:
        """Every function call's output of the response that asked, the user's answers to its
        approval requests (when it held both), then ONE `response.create` to go on. A remote
        call's result is the provider's own: it never goes back as an output."""
        remote = self.decoder.remote_ids
        for result in results:
            if result.call_id not in remote:
                self.send(function_call_output(result))
        for request_id, approve in approvals:
            self.send(mcp_approval_response(request_id, approve))
        self.send(response_create())
        self.awaiting = True
        return True

    def take_approvals(self) -> list[ToolCallRequest]:
        """The remote calls the response just ended asking the user about (each handed out once)."""
        approvals, self.decoder.approvals = self.decoder.approvals, []
        return approvals

    def send_approvals(self, answers: Sequence[tuple[str, bool]]) -> None:
        """Each `mcp_approval_request` answered (id, approve), then ONE `response.create`: the response
        that asked has ended, so the server goes on (runs the approved calls) only in a new one."""
        for request_id, approve in answers:
            self.send(mcp_approval_response(request_id, approve))
        self.send(response_create())
        self.awaiting = True

    def send_cancel(self, webrtc: bool = False) -> None:
        self.send(response_cancel())
        if webrtc:
            self.send(output_audio_clear())  # WebRTC: drop any audio queued for the track too

    def send_audio(self, pcm16: bytes) -> None:
        self.send(audio_append(pcm16))

    def answered(self, text: str) -> None:
        """The answer as the server now holds it (all of it, or what the user heard before a cancel)."""
        self.context.answered(text)

    # ---- a voice session's verbs (push-to-talk, hands-free, barge-in)

    def send_voice_setup(self, modalities: list[str], instructions: str | None, transcribe: bool, vad: str | None) -> None:
        self.send(session_update(modalities, instructions, transcribe=transcribe, dialect=self.dialect, vad=vad))

    def send_vad(self, vad: str | None) -> None:
        self.send(vad_update(vad, self.dialect))

    def send_clear_input(self) -> None:
        self.send(audio_clear())

    def send_speech_begins(self) -> None:
        """Push-to-talk down: whatever the input buffer held is not part of this turn."""
        self.send(audio_clear())

    def send_image(self, data_url: str) -> None:
        """A shared frame for the spoken turn now being made (before its `response.create`)."""
        self.send(image_item(data_url))

    def send_speech_ends(self) -> None:
        """Push-to-talk up: the speech is the user's turn; answer it."""
        self.send(audio_commit())
        self.send(response_create())

    def send_barge_in(self, heard_ms: int | None, webrtc: bool = False) -> None:
        """Stop generating, drop the server's queued audio (WebRTC), then say how much was heard
        (`heard_ms` None: none of it played), so the conversation keeps only that."""
        if self.decoder.response_active:
            self.send(response_cancel())
        if webrtc:
            self.send(output_audio_clear())
        item = self.decoder.current_item_id
        if heard_ms is not None and item:
            self.send(item_truncate(item, heard_ms))

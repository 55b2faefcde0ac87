"""The loopback's OpenAI Realtime (GA) conversation, independent of the transport.

The WebSocket route (`realtime_ws.py`) and the WebRTC data channel both drive
one `RealtimeServerSession`: client events go in through `handle()`, server
events come out through `send_event`, and with WebRTC the answer's audio goes
to `audio_out` (PCM16 24 kHz mono) instead of `response.output_audio.delta`.

`dialect="beta"` makes a server that speaks only the beta dialect (Azure preview
deployments, many Realtime-compatible servers): beta `session.*` shapes, beta
event names, and GA-only session fields refused with `unknown_parameter`, as a
real beta server refuses them (and the GA server refuses the beta ones).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rtchat.wire.openai_realtime import BETA_NAMES

from .audio_meter import Heard, measure, tone
from .frames import data_url_parts
from .openai_chat import content_files
from .openai_responses import offered_tools, tool_turn
from .pacing import MIDSTREAM_ERROR, Schedule, fault_position
from .records import ConnectionRecord, RequestRecord
from .scripts import FAULTS, Conversation, Message, Script, last_token_due, parse_model, write_script
from .tool_model import Call, Tool, argument_pieces
from .vad import EnergyVad

RATE = 24000
AUDIO_CHUNK_BYTES = RATE * 2 // 10  # 100 ms per output_audio.delta
ANSWER_TONE_SECONDS = 0.3
LET_ME_CHECK = "Let me check. "  # what the `tools` model says aloud before its calls
TRANSCRIPT_PIECE = 6  # characters per input_audio_transcription.delta
WIRE = "openai_realtime"
clock = time.monotonic
TO_BETA = {ga: beta for beta, ga in BETA_NAMES.items()}
SESSION_KEYS = {  # what each dialect's session.update accepts
    "ga": {"type", "output_modalities", "instructions", "audio", "tools", "tool_choice", "max_output_tokens", "tracing", "truncation", "prompt", "include", "model"},
    "beta": {"modalities", "instructions", "voice", "input_audio_format", "output_audio_format", "input_audio_transcription", "turn_detection", "tools", "tool_choice", "temperature", "max_response_output_tokens", "input_audio_noise_reduction", "model"},
}

VAD_TYPES = ("server_vad", "semantic_vad")
# A remote MCP server (GA `session.tools` of type "mcp"): the loopback never calls its url. It fakes
# the server's answers deterministically: every remote server lists this one tool, and a call
# returns "<label> found: <query>".
REMOTE_TOOLS = ({"name": "search", "description": "Search the notes", "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}},)
SendEvent = Callable[[dict], Awaitable[None]]
AudioOut = Callable[[bytes], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


@dataclass
class Item:
    """One conversation item as the loopback keeps it."""

    id: str
    role: str
    text: str
    heard: Heard | None = None  # a spoken user turn: what the meter measured
    audio: bytes = b""
    files: tuple[tuple[str, int], ...] = ()  # (media type, bytes) of its `input_image` parts
    kind: str = "message"  # or "function_call" / "function_call_output" (role "tool")
    call_id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class ActiveResponse:
    id: str
    item_id: str
    record: RequestRecord
    modalities: list[str]
    pieces: list[str] = field(default_factory=list)
    finishing: bool = False  # closing events are going out: too late to cancel
    task: asyncio.Task | None = None
    usage: Callable[[], dict] | None = None  # usage of what was really sent, when it ends


def usage_json(input_tokens: int, cached: int, output_tokens: int) -> dict[str, Any]:
    return {
        "total_tokens": input_tokens + output_tokens,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "input_token_details": {"cached_tokens": cached, "text_tokens": input_tokens, "audio_tokens": 0},
        "output_token_details": {"text_tokens": output_tokens, "audio_tokens": 0},
    }


def is_tool_frame(kind: str | None, event: dict) -> bool:
    """A client event that offers tools or carries a call or its output."""
    if kind == "session.update":
        return isinstance(event.get("session"), dict) and "tools" in event["session"]
    return kind == "conversation.item.create" and isinstance(event.get("item"), dict) and event["item"].get("type") in ("function_call", "function_call_output", "mcp_approval_response")


def approval_required(server: dict) -> bool:
    """A declared remote server's `require_approval` for its `search` tool."""
    rule = server.get("require_approval")
    never = ((rule or {}).get("never") or {}).get("tool_names", []) if isinstance(rule, dict) else []
    return not (rule == "never" or "search" in never)


class RealtimeServerSession:
    """One Realtime session: items, the audio input buffer, at most one response at a time.

    `server` is the `LoopbackServer` (or its `LoopbackState`): records and the
    prompt cache live there. `close(code, reason)` lets a fault model drop the
    transport (WebSocket close 1011); without it the fault becomes an error event.
    """

    def __init__(
        self,
        send_event: SendEvent,
        model: str,
        server: Any,
        *,
        audio_out: AudioOut | None = None,
        audio_drained: Callable[[], Awaitable[None]] | None = None,
        close: Close | None = None,
        path: str = "/v1/realtime",
        dialect: str = "ga",
    ) -> None:
        self.state = getattr(server, "state", server)
        self.spec = parse_model(model)  # raises ModelError: check before accepting the transport
        self.model = model
        self.path = path
        self._send_event = send_event
        self._audio_out = audio_out
        self._audio_drained = audio_drained  # WebRTC: until the track has played out what was queued
        self.step_audio: str | None = None  # WebRTC: a spoken tool step whose `output_audio_buffer.stopped` is held
        self._close = close
        self._send_lock = asyncio.Lock()
        self.session_id = new_id("sess")
        self.modalities = ["audio"]
        self.instructions = ""
        self.items: list[Item] = []
        self.audio_buffer = bytearray()
        self.turn_detection: dict[str, Any] | None = None  # hands-free: the client's server_vad / semantic_vad
        self.vad: EnergyVad | None = None
        self.speech_item: str | None = None  # the item id the speech being heard will become
        self.active: ActiveResponse | None = None
        self.tools: tuple[Tool, ...] = ()  # offered in session.update (`session.tools`)
        self.remote_mcp: list[dict] = []  # GA `mcp` tools: remote servers (faked, see REMOTE_TOOLS)
        self.approvals: dict[str, tuple[dict, str, bool | None]] = {}  # approval request id -> (server, arguments, answer)
        self.dialect = dialect
        self.connection = ConnectionRecord(path, WIRE, model, opened=clock(), dialect=dialect)
        self.state.connections.append(self.connection)
        self.connection_index = len(self.state.connections) - 1

    # ---------------------------------------------------------------- lifecycle

    async def open(self) -> None:
        await self.send("session.created", session=self.session_json())

    async def close(self) -> None:
        active = self.active
        if active is not None and active.task is not None and not active.task.done():
            active.task.cancel()
            await asyncio.gather(active.task, return_exceptions=True)
            self._end_record(active, "disconnected")
        self.active = None
        if self.connection.closed is None:
            self.connection.closed = clock()

    async def send(self, kind: str, **fields: Any) -> None:
        if self.dialect == "beta":
            kind = TO_BETA.get(kind, kind)
        async with self._send_lock:
            await self._send_event({"type": kind, "event_id": new_id("event"), **fields})

    def session_json(self) -> dict[str, Any]:
        if self.dialect == "beta":
            return {
                "object": "realtime.session",
                "id": self.session_id,
                "model": self.model,
                "modalities": list(self.modalities),
                "instructions": self.instructions,
                "voice": "alloy",
                "input_audio_format": "pcm16",
                "output_audio_format": "pcm16",
                "input_audio_transcription": None,
                "turn_detection": self.turn_detection,
            }
        audio_format = {"type": "audio/pcm", "rate": RATE}
        return {
            "type": "realtime",
            "object": "realtime.session",
            "id": self.session_id,
            "model": self.model,
            "output_modalities": list(self.modalities),
            "instructions": self.instructions,
            "audio": {"input": {"format": audio_format, "turn_detection": self.turn_detection}, "output": {"format": audio_format, "voice": "alloy"}},
        }

    # ---------------------------------------------------------------- client events

    async def handle(self, event: dict) -> None:
        kind = event.get("type") if isinstance(event, dict) else None
        if kind and kind != "input_audio_buffer.append":
            self.connection.received.append(kind)
        if is_tool_frame(kind, event):
            self.connection.tool_frames.append(event)  # what tests assert went over the wire
        if not kind:
            return await self.error("invalid_request_error", "invalid_event", "The 'type' field is missing.", event)
        handler = self.HANDLERS.get(kind)
        if handler is None:
            return await self.error("invalid_request_error", "invalid_event", f"Invalid value: '{kind}'. Supported values are: {', '.join(self.HANDLERS)}.", event)
        try:
            await handler(self, event)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            await self.error("invalid_request_error", "invalid_event", f"The event could not be read ({type(exc).__name__}: {exc}).", event)

    async def error(self, kind: str, code: str, message: str, event: Any = None) -> None:
        client_id = event.get("event_id") if isinstance(event, dict) else None
        await self.send("error", error={"type": kind, "code": code, "message": message, "param": None, "event_id": client_id})

    async def on_session_update(self, event: dict) -> None:
        session = event.get("session") or {}
        for key in session:
            if key not in SESSION_KEYS[self.dialect]:
                return await self.error("invalid_request_error", "unknown_parameter", f"Unknown parameter: 'session.{key}'.", event)
        field_name = "modalities" if self.dialect == "beta" else "output_modalities"
        modalities = session.get(field_name)
        if modalities is not None:
            if not isinstance(modalities, list) or not modalities or not set(modalities) <= {"text", "audio"}:
                return await self.error("invalid_request_error", "invalid_value", f"{field_name} must be ['text'] or ['audio'].", event)
            self.modalities = list(modalities)
        if isinstance(session.get("instructions"), str):
            self.instructions = session["instructions"]
        if "tools" in session:
            remote = [tool for tool in session["tools"] if isinstance(tool, dict) and tool.get("type") == "mcp"] if isinstance(session["tools"], list) else []
            if remote and (self.dialect == "beta" or not all(isinstance(tool.get("server_label"), str) and isinstance(tool.get("server_url"), str) for tool in remote)):
                return await self.error("invalid_request_error", "invalid_value", "mcp tools need server_label and server_url (GA sessions only).", event)
            functions = [tool for tool in session["tools"] if tool not in remote] if isinstance(session["tools"], list) else None
            if functions is None or not all(isinstance(tool, dict) and isinstance(tool.get("name"), str) for tool in functions):
                return await self.error("invalid_request_error", "invalid_value", "session.tools must be an array of tools, each with a name.", event)
            self.tools = offered_tools(session)  # the same reading as the Responses wire's `tools`
            self.remote_mcp = remote
        holder = session if self.dialect == "beta" else ((session.get("audio") or {}).get("input") or {})
        if "turn_detection" in holder:
            detection = holder["turn_detection"]
            if detection is not None and (not isinstance(detection, dict) or detection.get("type") not in VAD_TYPES):
                return await self.error("invalid_request_error", "invalid_value", f"turn_detection.type must be one of {', '.join(VAD_TYPES)}, or turn_detection null.", event)
            self.set_turn_detection(detection)
        await self.send("session.updated", session=self.session_json())
        for server in self.remote_mcp if "tools" in session else ():
            await self.list_remote_tools(server)

    async def list_remote_tools(self, server: dict) -> None:
        """As OpenAI's server does on a new `mcp` tool: an `mcp_list_tools` item, with progress events."""
        item = {"id": new_id("mcpl"), "type": "mcp_list_tools", "server_label": server["server_label"], "tools": []}
        await self.send("conversation.item.added", previous_item_id=self.items[-1].id if self.items else None, item=item)
        await self.send("mcp_list_tools.in_progress", item_id=item["id"])
        await self.send("mcp_list_tools.completed", item_id=item["id"])
        await self.send("conversation.item.done", previous_item_id=self.items[-1].id if self.items else None, item={**item, "tools": list(REMOTE_TOOLS)})

    def set_turn_detection(self, detection: dict | None) -> None:
        """Hands-free on (a fresh detector: speech is measured from here) or off (push-to-talk)."""
        self.turn_detection = detection
        self.vad = None if detection is None else EnergyVad(RATE, int(detection.get("silence_duration_ms") or 500))
        self.speech_item = None

    async def on_item_create(self, event: dict) -> None:
        item = event["item"]
        if item.get("type") == "mcp_approval_response":
            return await self.on_approval_response(event, item)
        if item.get("type") in ("function_call", "function_call_output"):
            return await self.on_function_item(event, item)
        if item.get("type", "message") != "message" or item.get("role") not in ("user", "assistant", "system"):
            return await self.error("invalid_request_error", "invalid_value", "only message items with role user, assistant or system are supported.", event)
        content = item.get("content") or []
        images = [part for part in content if isinstance(part, dict) and part.get("type") == "input_image"]
        if images and (self.dialect == "beta" or not all(isinstance(p.get("image_url"), str) for p in images)):
            return await self.error("invalid_request_error", "invalid_value", "input_image needs an image_url data URL (GA sessions only).", event)
        texts, audio = [], b""
        for part in content:
            if part.get("type") == "input_audio" and part.get("audio"):
                audio += base64.b64decode(part["audio"], validate=True)
            text = part.get("text") or part.get("transcript")
            if isinstance(text, str):
                texts.append(text)
        heard = measure(audio, RATE) if audio else None
        text = "".join(texts) or (heard.transcript() if heard else "")
        files = content_files(images)
        self.connection.files += files
        for part in images:  # every image counts as a shared frame the `vision` model reports
            found = data_url_parts(part.get("image_url"))
            if found:
                self.connection.frames.add_base64(*found)
        await self.add_item(Item(item.get("id") or new_id("item"), item["role"], text, heard, audio, files))

    async def on_approval_response(self, event: dict, item: dict) -> None:
        """The user's answer to an `mcp_approval_request`: the next response acts on it."""
        request_id = item.get("approval_request_id")
        if request_id not in self.approvals or not isinstance(item.get("approve"), bool):
            return await self.error("invalid_request_error", "invalid_value", f"Invalid value: '{request_id}'. No mcp_approval_request item with this id exists in the conversation.", event)
        server, arguments, _ = self.approvals[request_id]
        self.approvals[request_id] = (server, arguments, item["approve"])
        body = {"id": item.get("id") or new_id("mcpr"), "type": "mcp_approval_response", "approval_request_id": request_id, "approve": item["approve"]}
        await self.send("conversation.item.added", previous_item_id=self.items[-1].id if self.items else None, item=body)
        await self.send("conversation.item.done", previous_item_id=self.items[-1].id if self.items else None, item=body)

    async def on_function_item(self, event: dict, item: dict) -> None:
        """A call (context rebuilt on a fresh socket) or a call's output. As OpenAI's server does,
        an output must answer a `function_call` item of this conversation (by `call_id`); the
        error names the call id it could not find (the error's code is the loopback's choice)."""
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            return await self.error("invalid_request_error", "missing_required_parameter", "Missing required parameter: 'item.call_id'.", event)
        if item["type"] == "function_call":
            name, arguments = item.get("name"), item.get("arguments", "")
            if not isinstance(name, str) or not name or not isinstance(arguments, str):
                return await self.error("invalid_request_error", "invalid_value", "A function_call item needs a name and arguments as a string.", event)
            return await self.add_item(Item(item.get("id") or new_id("item"), "tool", "", kind="function_call", call_id=call_id, name=name, arguments=arguments))
        if not any(known.kind == "function_call" and known.call_id == call_id for known in self.items):
            return await self.error("invalid_request_error", "invalid_value", f"Invalid value: '{call_id}'. No function_call item with this call_id exists in the conversation.", event)
        output = item.get("output")
        if not isinstance(output, str):
            return await self.error("invalid_request_error", "invalid_type", "Invalid type for 'item.output': expected a string.", event)
        await self.add_item(Item(item.get("id") or new_id("item"), "tool", output, kind="function_call_output", call_id=call_id))

    def item_json(self, item: Item, status: str = "completed") -> dict[str, Any]:
        if item.kind == "function_call":
            return {"id": item.id, "type": "function_call", "status": status, "call_id": item.call_id, "name": item.name, "arguments": item.arguments}
        if item.kind == "function_call_output":
            return {"id": item.id, "type": "function_call_output", "call_id": item.call_id, "output": item.text}
        kind = "output_text" if item.role == "assistant" else ("input_audio" if item.heard else "input_text")
        return {"id": item.id, "type": "message", "status": status, "role": item.role, "content": [{"type": kind, "text": item.text}]}

    async def add_item(self, item: Item) -> None:
        previous = self.items[-1].id if self.items else None
        self.items.append(item)
        body = self.item_json(item)
        await self.send("conversation.item.added", previous_item_id=previous, item=body)
        await self.send("conversation.item.done", previous_item_id=previous, item=body)

    async def on_audio_append(self, event: dict) -> None:
        try:
            pcm16 = base64.b64decode(event["audio"], validate=True)
        except (binascii.Error, ValueError):
            return await self.error("invalid_request_error", "invalid_value", "audio must be base64-encoded PCM16.", event)
        await self.feed_audio(pcm16)

    async def feed_audio(self, pcm16_24k: bytes) -> None:
        """Audio in (input_audio_buffer.append, or a WebRTC media track); hands-free, the detector hears it."""
        self.audio_buffer += pcm16_24k
        if self.vad is None:
            return
        for edge in self.vad.feed(pcm16_24k):
            if edge.started:
                await self._speech_started(edge.ms)
            else:
                await self._speech_stopped(edge.ms)
        if not self.vad.speaking:  # between utterances keep only the prefix padding
            keep = int(RATE * (self.turn_detection or {}).get("prefix_padding_ms", 300) / 1000) * 2
            del self.audio_buffer[: max(0, len(self.audio_buffer) - keep)]

    async def _speech_started(self, at_ms: int) -> None:
        """As OpenAI's server VAD: say so, and with interrupt_response cut the answer being given."""
        self.speech_item = new_id("item")
        await self.send("input_audio_buffer.speech_started", audio_start_ms=at_ms, item_id=self.speech_item)
        active = self.active
        if active is not None and not active.finishing and (self.turn_detection or {}).get("interrupt_response", True):
            active.record.cancel_received = clock()
            await self.interrupt(active, "turn_detected")

    async def _speech_stopped(self, at_ms: int) -> None:
        """Commit what was said, and with create_response answer it."""
        item_id = self.speech_item or new_id("item")
        self.speech_item = None
        await self.send("input_audio_buffer.speech_stopped", audio_end_ms=at_ms, item_id=item_id)
        await self.commit(item_id)
        if self.active is None and (self.turn_detection or {}).get("create_response", True):
            await self.on_response_create({"type": "response.create"})

    async def on_audio_commit(self, event: dict) -> None:
        if len(self.audio_buffer) < RATE * 2 // 10:
            got = len(self.audio_buffer) / (RATE * 2) * 1000
            return await self.error("invalid_request_error", "input_audio_buffer_commit_empty", f"buffer too small. Expected at least 100ms of audio, but buffer only has {got:.2f}ms of audio.", event)
        await self.commit(new_id("item"))

    async def commit(self, item_id: str) -> None:
        """The input buffer becomes a user item, 'transcribed' as it streams and then whole."""
        audio = bytes(self.audio_buffer)
        self.audio_buffer.clear()
        heard = measure(audio, RATE)
        item = Item(item_id, "user", heard.transcript(), heard, audio)
        await self.send("input_audio_buffer.committed", previous_item_id=self.items[-1].id if self.items else None, item_id=item.id)
        await self.add_item(item)
        words = heard.transcript()
        for start in range(0, len(words), TRANSCRIPT_PIECE):  # recognised as it streams, as gpt-4o-transcribe does
            await self.send("conversation.item.input_audio_transcription.delta", item_id=item.id, content_index=0, delta=words[start : start + TRANSCRIPT_PIECE])
        await self.send("conversation.item.input_audio_transcription.completed", item_id=item.id, content_index=0, transcript=words)

    async def on_audio_clear(self, event: dict) -> None:
        self.audio_buffer.clear()
        await self.send("input_audio_buffer.cleared")

    async def on_truncate(self, event: dict) -> None:
        item_id = event["item_id"]
        self.connection.truncated_ms.append(event.get("audio_end_ms", 0))
        if not any(item.id == item_id for item in self.items):
            return await self.error("invalid_request_error", "item_truncate_invalid_item_id", f"Item with id '{item_id}' not found.", event)
        await self.send("conversation.item.truncated", item_id=item_id, content_index=event.get("content_index", 0), audio_end_ms=event.get("audio_end_ms", 0))

    async def on_output_audio_clear(self, event: dict) -> None:
        await self.send("output_audio_buffer.cleared", response_id=self.active.id if self.active else None)

    async def on_response_create(self, event: dict) -> None:
        if self.active is not None:
            return await self.error("invalid_request_error", "conversation_already_has_active_response", f"Conversation already has an active response in progress: {self.active.id}. Wait until the response is finished before creating a new one.", event)
        options = event.get("response") or {}
        modalities = options.get("modalities" if self.dialect == "beta" else "output_modalities") or self.modalities
        record = RequestRecord(path=self.path, wire=WIRE, model=self.model, status=200, started=clock(), request_json=event, connection=self.connection_index)
        self.state.records.append(record)
        self.connection.responses += 1
        active = ActiveResponse(new_id("resp"), new_id("item"), record, list(modalities))
        self.active = active
        active.task = asyncio.create_task(self._respond(active))

    async def on_response_cancel(self, event: dict) -> None:
        active = self.active
        if active is None or active.finishing:
            return await self.error("invalid_request_error", "response_cancel_not_active", "Cancellation failed: no active response found.", event)
        active.record.cancel_received = clock()
        await self.interrupt(active)

    HANDLERS: dict[str, Callable[["RealtimeServerSession", dict], Awaitable[None]]] = {
        "session.update": on_session_update,
        "conversation.item.create": on_item_create,
        "input_audio_buffer.append": on_audio_append,
        "input_audio_buffer.commit": on_audio_commit,
        "input_audio_buffer.clear": on_audio_clear,
        "conversation.item.truncate": on_truncate,
        "output_audio_buffer.clear": on_output_audio_clear,
        "response.create": on_response_create,
        "response.cancel": on_response_cancel,
    }

    # ---------------------------------------------------------------- answering

    def conversation(self) -> Conversation:
        messages = tuple(Message("assistant" if item.role == "assistant" else "user", item.text, item.files) for item in self.items if item.role in ("user", "assistant"))
        system = "\n".join(item.text for item in self.items if item.role == "system") or self.instructions
        return Conversation(system=system, messages=messages, tools=tool_turn([self.item_json(item) for item in self.items], self.tools))

    def script(self, conversation: Conversation) -> Script:
        if self.spec.base == "vision":
            return Script(text=self.connection.frames.report())
        last_user = next((item for item in reversed(self.items) if item.role == "user"), None)
        if self.spec.base == "echo" and last_user is not None and last_user.heard is not None:
            return Script(text=last_user.heard.answer())
        return write_script(self.spec.base, conversation, thinking=False)

    def answer_audio(self) -> bytes:
        last_user = next((item for item in reversed(self.items) if item.role == "user"), None)
        if last_user is not None and last_user.audio:
            return last_user.audio  # echo: the user's own voice back
        return tone(ANSWER_TONE_SECONDS, RATE)

    def _part_ids(self, active: ActiveResponse) -> dict[str, Any]:
        return {"response_id": active.id, "item_id": active.item_id, "output_index": 0, "content_index": 0}

    def _response_json(self, active: ActiveResponse, status: str, details: dict | None = None, usage: dict | None = None) -> dict[str, Any]:
        text = "".join(active.pieces)
        content = [{"type": "output_text", "text": text}] if "text" in active.modalities else [{"type": "output_audio", "transcript": text}]
        output = [] if status == "in_progress" else [{"id": active.item_id, "type": "message", "status": "completed" if status == "completed" else "incomplete", "role": "assistant", "content": content}]
        return {
            "object": "realtime.response",
            "id": active.id,
            "status": status,
            "status_details": details,
            "output": output,
            "modalities" if self.dialect == "beta" else "output_modalities": active.modalities,
            "usage": usage,
        }

    async def _remote_step(self, active: ActiveResponse) -> bool:
        """With a remote MCP server declared, the `tools` model calls its `search` tool once per user
        message: it asks approval first (when `require_approval` says so), then runs the call
        (faked, no network) and answers from its result; declined, it says so."""
        answered = next(((request_id, entry) for request_id, entry in self.approvals.items() if entry[2] is not None), None)
        if answered is not None:
            request_id, (server, arguments, approve) = answered
            del self.approvals[request_id]
            await self.send("response.created", response=self._response_json(active, "in_progress"))
            if not approve:
                return await self._say(active, f"The user declined the call to {server['server_label']}.search.")
            text = await self._remote_call(active, server, arguments, request_id)
            return await self._say(active, f"search returned: {text}")
        last_user = next((item for item in reversed(self.items) if item.role == "user"), None)
        if not self.remote_mcp or self.spec.base != "tools" or last_user is None or self.tools or self.approvals:
            return False
        server = self.remote_mcp[0]
        arguments = json.dumps({"query": last_user.text}, separators=(",", ":"))
        await self.send("response.created", response=self._response_json(active, "in_progress"))
        if not approval_required(server):
            text = await self._remote_call(active, server, arguments, None)
            return await self._say(active, f"search returned: {text}")
        request = await self._ask_approval(active, server, arguments, 0)
        active.finishing = True
        response = self._response_json(active, "completed", None, usage_json(1, 0, 1))
        response["output"] = [request]
        await self.send("response.done", response=response)
        self._end_record(active, "tool_use")
        if self.active is active:
            self.active = None
        return True

    async def _ask_approval(self, active: ActiveResponse, server: dict, arguments: str, index: int) -> dict:
        """An `mcp_approval_request` item for the remote `search` call; the answer comes as an item."""
        request = {"id": new_id("mcpr"), "type": "mcp_approval_request", "server_label": server["server_label"], "name": "search", "arguments": arguments}
        self.approvals[request["id"]] = (server, arguments, None)
        await self.send("response.output_item.added", response_id=active.id, output_index=index, item=request)
        await self.send("response.output_item.done", response_id=active.id, output_index=index, item=request)
        return request

    async def _remote_call(self, active: ActiveResponse, server: dict, arguments: str, request_id: str | None) -> str:
        """The `mcp_call` item and its progress events; the fake server's deterministic result."""
        query = json.loads(arguments)["query"]
        output = f"{server['server_label']} found: {query}"
        item = {"id": new_id("mcp"), "type": "mcp_call", "server_label": server["server_label"], "name": "search", "arguments": "", "approval_request_id": request_id, "output": None, "error": None}
        ids = {"response_id": active.id, "item_id": item["id"], "output_index": 0}
        await self.send("response.output_item.added", response_id=active.id, output_index=0, item={**item, "status": "in_progress"})
        for piece in argument_pieces(arguments):
            await self.send("response.mcp_call_arguments.delta", **ids, delta=piece)
        await self.send("response.mcp_call_arguments.done", **ids, arguments=arguments)
        await self.send("response.mcp_call.in_progress", item_id=item["id"], output_index=0)
        await self.send("response.mcp_call.completed", item_id=item["id"], output_index=0)
        await self.send("response.output_item.done", response_id=active.id, output_index=0, item={**item, "arguments": arguments, "output": output, "status": "completed"})
        return output

    async def _say(self, active: ActiveResponse, text: str) -> bool:
        """A short text answer after a remote step (the response is already created)."""
        await self.send("response.output_text.delta", **self._part_ids(active), delta=text)
        active.pieces.append(text)
        active.record.tokens_sent += 1
        await self._finish(active, "completed", None, "complete")
        return True

    async def _respond(self, active: ActiveResponse) -> None:
        await self._step_audio_stopped()
        if await self._remote_step(active):
            return
        conversation = self.conversation()
        script = self.script(conversation)
        if script.calls:  # the `tools` model asks for calls: this response is those calls
            return await self._call_tools(active, script.calls, conversation)
        cached = self.state.prompt_cache.remember(self.spec.base, conversation, last_token_due(self.spec, script, active.record.started or clock()))
        fault = FAULTS.get(self.spec.base)
        fire_at = fault_position(script, fault)
        audio_mode = "audio" in active.modalities
        ids = self._part_ids(active)
        active.usage = lambda: usage_json(conversation.input_tokens, cached, len(active.pieces))
        await self.send("response.created", response=self._response_json(active, "in_progress"))
        item = {"id": active.item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}
        await self.send("response.output_item.added", response_id=active.id, output_index=0, item=item)
        await self.send("conversation.item.added", previous_item_id=self.items[-1].id if self.items else None, item=item)
        part = {"type": "audio", "transcript": ""} if audio_mode else {"type": "text", "text": ""}
        await self.send("response.content_part.added", **ids, part=part)
        schedule = Schedule.for_answer(self.spec, script, conversation.input_tokens, cached, active.record.started or clock())
        pieces = [piece for kind, piece in script.parts if kind != "thinking"]
        for index, piece in enumerate(pieces):
            if index == fire_at:
                return await self._fire(active, fault.action if fault else None)
            wait = schedule.due(index) - clock()
            if wait > 0:
                await asyncio.sleep(wait)
            if audio_mode:
                await self.send("response.output_audio_transcript.delta", **ids, delta=piece)
                if index == 0:
                    await self._speak(active)
            else:
                await self.send("response.output_text.delta", **ids, delta=piece)
            active.pieces.append(piece)
            active.record.tokens_sent += 1
            if active.record.first_byte is None:
                active.record.first_byte = clock()
        if fire_at is not None and fire_at >= len(pieces) and fault is not None:
            return await self._fire(active, fault.action)
        active.finishing = True
        text = "".join(active.pieces)
        if audio_mode:
            await self.send("response.output_audio.done", **ids)
            await self.send("response.output_audio_transcript.done", **ids, transcript=text)
            part = {"type": "audio", "transcript": text}
        else:
            await self.send("response.output_text.done", **ids, text=text)
            part = {"type": "text", "text": text}
        await self.send("response.content_part.done", **ids, part=part)
        await self._finish(active, "completed", None, "complete")

    async def _call_tools(self, active: ActiveResponse, calls: tuple[Call, ...], conversation: Conversation) -> None:
        """A response that asks for calls: each as a `function_call` item, its arguments in pieces,
        then `response.done` (completed) listing them; the client answers with outputs and
        `response.create` (without one, no response starts). Spoken, it says "Let me check."
        first (transcript and audio)."""
        await self.send("response.created", response=self._response_json(active, "in_progress"))
        if "audio" in active.modalities:
            await self.send("response.output_audio_transcript.delta", **self._part_ids(active), delta=LET_ME_CHECK)
            await self._speak(active, tone(ANSWER_TONE_SECONDS, RATE))
            if self._audio_out is not None:
                self.step_audio = active.id
        done: list[dict[str, Any]] = []
        for index, call in enumerate(calls):
            item = Item(new_id("item"), "tool", "", kind="function_call", call_id=call.id, name=call.name, arguments="")
            ids = {"response_id": active.id, "item_id": item.id, "output_index": index, "call_id": call.id}
            await self.send("response.output_item.added", response_id=active.id, output_index=index, item=self.item_json(item, "in_progress"))
            await self.send("conversation.item.added", previous_item_id=self.items[-1].id if self.items else None, item=self.item_json(item, "in_progress"))
            for piece in argument_pieces(call.arguments):
                await self.send("response.function_call_arguments.delta", **ids, delta=piece)
                active.record.tokens_sent += 1
            item.arguments = call.arguments
            await self.send("response.function_call_arguments.done", **ids, name=call.name, arguments=call.arguments)
            await self.send("conversation.item.done", previous_item_id=self.items[-1].id if self.items else None, item=self.item_json(item))
            await self.send("response.output_item.done", response_id=active.id, output_index=index, item=self.item_json(item))
            self.items.append(item)
            done.append(self.item_json(item))
            if active.record.first_byte is None:
                active.record.first_byte = clock()
        last_user = next((item for item in reversed(self.items) if item.role == "user"), None)
        if self.remote_mcp and approval_required(self.remote_mcp[0]) and last_user is not None and not self.approvals and not conversation.tools.steps:
            # Remote MCP beside function tools: the first response also asks to run the remote
            # `search`, so the client answers approvals and outputs before one `response.create`.
            arguments = json.dumps({"query": last_user.text}, separators=(",", ":"))
            done.append(await self._ask_approval(active, self.remote_mcp[0], arguments, len(calls)))
        active.finishing = True
        response = self._response_json(active, "completed", None, usage_json(conversation.input_tokens, 0, len(calls)))
        response["output"] = done
        await self.send("response.done", response=response)
        self._end_record(active, "tool_use")
        if self.active is active:
            self.active = None

    async def _step_audio_stopped(self) -> None:
        """WebRTC: a spoken tool step's `output_audio_buffer.stopped` is sent only now, when the
        client's outputs have come back and its next response begins, once the track played the
        step's audio out: the late order a real server's buffer can give (the stop arrives after
        the client answered the calls), made certain, so a client that took that stop for the
        end of the whole answer is caught."""
        response_id, self.step_audio = self.step_audio, None
        if response_id is None:
            return
        if self._audio_drained is not None:
            await self._audio_drained()
        await self.send("output_audio_buffer.stopped", response_id=response_id)

    async def _speak(self, active: ActiveResponse, audio: bytes | None = None) -> None:
        """The answer's audio (`audio`, else the answer's own): to the media track (WebRTC) or as base64 deltas (WebSocket)."""
        audio = self.answer_audio() if audio is None else audio
        if self._audio_out is not None:
            await self.send("output_audio_buffer.started", response_id=active.id)
            await self._audio_out(audio)
            return
        ids = self._part_ids(active)
        for start in range(0, len(audio), AUDIO_CHUNK_BYTES):
            chunk = audio[start : start + AUDIO_CHUNK_BYTES]
            await self.send("response.output_audio.delta", **ids, delta=base64.b64encode(chunk).decode("ascii"))

    async def _finish(self, active: ActiveResponse, status: str, details: dict | None, outcome: str) -> None:
        """Closing events of a response; keeps what was said as an assistant item."""
        active.finishing = True
        text = "".join(active.pieces)
        item = {"id": active.item_id, "type": "message", "status": "completed" if status == "completed" else "incomplete", "role": "assistant", "content": [{"type": "output_text", "text": text}]}
        await self.send("conversation.item.done", previous_item_id=self.items[-1].id if self.items else None, item=item)
        await self.send("response.output_item.done", response_id=active.id, output_index=0, item=item)
        self.items.append(Item(active.item_id, "assistant", text))
        usage = active.usage() if active.usage else None
        await self.send("response.done", response=self._response_json(active, status, details, usage))
        if self._audio_out is not None and "audio" in active.modalities:
            await self.send("output_audio_buffer.stopped", response_id=active.id)
        self._end_record(active, outcome)
        if self.active is active:
            self.active = None

    def _end_record(self, active: ActiveResponse, outcome: str) -> None:
        if active.record.ended is None:
            active.record.ended = clock()
            active.record.outcome = outcome

    async def interrupt(self, active: ActiveResponse, reason: str = "client_cancelled") -> None:
        """Stop the answer at once (response.cancel, or a barge-in) and say so."""
        if active.task is not None and active.task is not asyncio.current_task():
            active.task.cancel()
            await asyncio.gather(active.task, return_exceptions=True)
        active.record.ended = clock()
        active.record.outcome = "cancelled"
        await self._finish(active, "cancelled", {"type": "cancelled", "reason": reason}, "cancelled")

    async def _fire(self, active: ActiveResponse, action: str | None) -> None:
        """A fault model misbehaves mid-answer."""
        if action == "stall":
            await asyncio.Event().wait()  # silent until cancelled or the client leaves
        if action == "drop" and self._close is not None:
            self._end_record(active, "fault")
            self.active = None
            await self._close(1011, "internal error (loopback fault-close-midreply)")
            return
        message = MIDSTREAM_ERROR.replace("fault-error-midstream", self.spec.base)
        await self.error("server_error", "server_error", message)
        error = {"type": "server_error", "code": "server_error", "message": message}
        await self._finish(active, "failed", {"type": "failed", "error": error}, "fault")


"""Gemini Live API (BidiGenerateContent over WebSocket): messages to send, messages decoded,
and `LiveProtocol`, the session object text turns and voice share (setup, resumption). Pure.

The server's JSON uses camelCase; python-genai's own test fixtures sometimes
use snake_case, so both are read.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from typing import Any

from rtchat.conversation import ChatMessage, Conversation, ToolResult, ToolSpec
from rtchat.events import Done, Event, Notice, TextDelta, ThinkingDelta, ToolCallDelta, Transcript, Usage, plausible_count
from rtchat.wire.base import binary_attachments, pcm16_audio, user_text
from rtchat.wire.gemini import function_declaration, function_response_part, round_contents
from rtchat.wire.socket_protocol import FrameQueues, decode_frame, Known, ServerContext

INPUT_RATE = 16000
OUTPUT_RATE = 24000
PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"


def field(mapping: Any, camel: str) -> Any:
    if not isinstance(mapping, dict):
        return None
    if camel in mapping:
        return mapping[camel]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()
    return mapping.get(snake)


# ---- client messages


def tool_response(results: Sequence[ToolResult], synthetic: set[str]) -> dict:
    """A step's results in one message, each as the HTTP wire words a `functionResponse`."""
    return {"toolResponse": {"functionResponses": [function_response_part(result, synthetic)["functionResponse"] for result in results]}}


def setup(model: str, modalities: list[str], system: str | None = None, resumption_handle: str | None = None, manual_activity: bool = False, tools: Sequence[ToolSpec] = ()) -> dict:
    config: dict[str, Any] = {
        "model": model if model.startswith("models/") else f"models/{model}",
        "generationConfig": {"responseModalities": modalities},
        "inputAudioTranscription": {},
        "sessionResumption": {"handle": resumption_handle} if resumption_handle else {},
    }
    if "AUDIO" in modalities:
        config["outputAudioTranscription"] = {}
    if manual_activity:  # push-to-talk: we say when the user starts and stops
        config["realtimeInputConfig"] = {"automaticActivityDetection": {"disabled": True}}
    if system:
        config["systemInstruction"] = {"parts": [{"text": system}]}
    if tools:  # declared as the HTTP wire declares them (the schema in the subset Gemini accepts)
        config["tools"] = [{"functionDeclarations": [function_declaration(spec) for spec in tools]}]
    return {"setup": config}


def client_content(messages: list[ChatMessage], turn_complete: bool = True) -> dict:
    """Turns as Live `Content`: words (text files inside them), then each image as an `inlineData` part;
    an answer's tool steps first, as the model's calls and the user's function responses."""
    turns = [turn for m in messages for turn in tool_step_turns(m)]
    return {"clientContent": {"turns": turns, "turnComplete": turn_complete}}


def tool_step_turns(message: ChatMessage) -> list[dict]:
    """One message as Live turns: for each tool step, the model's words and `functionCall` parts,
    then a user turn of `functionResponse` parts; then the message's own words (if any)."""
    turns = [content for step in message.rounds for content in round_contents(step, "")]  # Live has no signatures to send back
    if message.text or message.attachments:
        turns.append({"role": "user" if message.role == "user" else "model", "parts": content_parts(message)})
    return turns


def content_parts(message: ChatMessage) -> list[dict]:
    if message.role != "user":
        return [{"text": message.text}]
    parts: list[dict] = [{"text": user_text(message)}]
    return parts + [{"inlineData": {"mimeType": a.media_type, "data": a.base64()}} for a in binary_attachments(message)]


def realtime_audio(pcm16: bytes) -> dict:
    return {"realtimeInput": {"audio": {"data": base64.b64encode(pcm16).decode("ascii"), "mimeType": f"audio/pcm;rate={INPUT_RATE}"}}}


def realtime_video(jpeg: bytes, mime_type: str = "image/jpeg") -> dict:
    """One shared frame as realtime video input (google-genai's `LiveClientRealtimeInput.video`,
    a `Blob`; the older `mediaChunks` is deprecated): the server watches it beside audio and text."""
    return {"realtimeInput": {"video": {"data": base64.b64encode(jpeg).decode("ascii"), "mimeType": mime_type}}}


def activity_start() -> dict:
    return {"realtimeInput": {"activityStart": {}}}


def activity_end() -> dict:
    return {"realtimeInput": {"activityEnd": {}}}


# ---- server messages


def _rate(mime: str) -> int:
    match = re.search(r"rate=(\d+)", mime or "")
    return int(match.group(1)) if match else OUTPUT_RATE


class LiveDecoder:
    """Server messages to rtchat events; keeps the resumption handle and goAway state."""

    def __init__(self) -> None:
        self.setup_complete = False
        self.resumption_handle: str | None = None
        self.go_away_in: str | None = None
        self.usage: Usage | None = None
        self.calls_seen = 0  # calls the server asked for on this socket (synthetic ids count on)
        self.cancelled: set[str] = set()  # call ids the server withdrew (`toolCallCancellation`)
        self.synthetic: set[str] = set()  # call ids rtchat made up for calls the server sent without one

    def feed_text(self, frame: str | bytes) -> list[Event]:
        return decode_frame(frame, self.feed)

    def feed(self, message: dict) -> list[Event]:
        events: list[Event] = []
        if field(message, "setupComplete") is not None:
            self.setup_complete = True
        update = field(message, "sessionResumptionUpdate")
        if update:
            resumable = field(update, "resumable")
            handle = field(update, "newHandle")
            if handle and resumable in (True, "true", "True"):
                self.resumption_handle = handle
        go_away = field(message, "goAway")
        if go_away is not None:
            self.go_away_in = str(field(go_away, "timeLeft") or "0s")
            events.append(Notice(f"the server will close this session in {self.go_away_in}; rtchat will resume it"))
        usage = field(message, "usageMetadata")
        if usage:
            thoughts = plausible_count(field(usage, "thoughtsTokenCount"))  # an odd count must not cost the message's text
            response = plausible_count(field(usage, "responseTokenCount") or field(usage, "candidatesTokenCount"))
            output = None if response is None and thoughts is None else (response or 0) + (thoughts or 0)
            self.usage = Usage(field(usage, "promptTokenCount"), output, field(usage, "cachedContentTokenCount"), thoughts)
        tool_call = field(message, "toolCall")
        if tool_call is not None:
            events += self._tool_calls(field(tool_call, "functionCalls") or [])
        cancellation = field(message, "toolCallCancellation")
        if cancellation is not None:
            ids = [str(i) for i in field(cancellation, "ids") or [] if i]
            self.cancelled.update(ids)
            if ids:
                events.append(Notice(f"the server withdrew tool call(s) {', '.join(ids)}; their results will not be sent"))
        content = field(message, "serverContent")
        if content:
            model_turn = field(content, "modelTurn") or {}
            for part in field(model_turn, "parts") or []:
                text = field(part, "text")
                if isinstance(text, str) and text:
                    events.append(ThinkingDelta(text) if field(part, "thought") else TextDelta(text))
                inline = field(part, "inlineData")
                if inline and str(field(inline, "mimeType") or "").startswith("audio/"):
                    events.append(pcm16_audio(base64.b64decode(field(inline, "data") or ""), _rate(field(inline, "mimeType"))))
            for name, role in (("inputTranscription", "user"), ("outputTranscription", "assistant")):
                transcription = field(content, name)
                if transcription and field(transcription, "text"):
                    events.append(Transcript(role, field(transcription, "text")))
            if field(content, "interrupted"):
                events += self._end("interrupted")
            elif field(content, "turnComplete"):
                events += self._end("complete")
        elif usage and self.usage is not None:
            events.append(self.usage)
        return events

    def _tool_calls(self, calls: list) -> list[Event]:
        """`toolCall.functionCalls[]`: the model waits for their responses, so this step ends here.
        `args` is an object on this wire; its JSON text is what the fold keeps as the arguments."""
        events: list[Event] = []
        for index, call in enumerate(c for c in calls if isinstance(c, dict)):
            self.calls_seen += 1
            given = field(call, "id")
            call_id = given if isinstance(given, str) and given else f"live_call_{self.calls_seen}"
            if not given:
                self.synthetic.add(call_id)  # made up here: never sent back
            args = field(call, "args")
            arguments = json.dumps(args, ensure_ascii=False) if isinstance(args, dict) else ""
            events.append(ToolCallDelta(index, call_id, str(field(call, "name") or ""), arguments, () if given else (("synthetic_id", "1"),)))
        return events + [Done("tool_use")] if events else events

    def _end(self, reason: str) -> list[Event]:
        events: list[Event] = [self.usage] if self.usage else []
        self.usage = None
        return events + [Done(reason)]


class LiveProtocol(FrameQueues):
    """One Live session, resumable: `setup` (with the latest resumption handle), turns, interrupts.

    A `goAway` or a dropped socket is resumed by opening a new socket and calling
    `begin()` again: the setup then carries the handle, and the context the server
    held when it gave that handle is what a turn builds on, so nothing is sent twice.
    """

    def __init__(self, model: str, modalities: list[str], system: str | None = None, manual_activity: bool = True) -> None:
        super().__init__()
        self.model = model
        self.modalities = modalities
        self.system = system  # Live fixes instructions at setup
        self.manual_activity = manual_activity
        self.decoder = LiveDecoder()
        self.context = ServerContext()
        self.handle: str | None = None  # the latest resumption handle
        self.handle_known: list[Known] = []  # what the server held when it gave that handle
        self.resuming_with: str | None = None
        self.going_away = False
        self.tools: tuple[ToolSpec, ...] = ()  # fixed at setup: other tools need a new session

    @property
    def ready(self) -> bool:
        return self.decoder.setup_complete

    def begin(self) -> None:
        """A new socket: `setup`, resuming the last session when there is a handle."""
        handle = self.handle
        self.decoder = LiveDecoder()
        self.decoder.resumption_handle = handle
        self.resuming_with = handle
        self.going_away = False
        self.context = ServerContext(self.handle_known if handle else None)
        self._events.clear()
        self._outgoing.clear()
        self.send(setup(self.model, self.modalities, self.system, resumption_handle=handle, manual_activity=self.manual_activity, tools=self.tools))

    def setup_failed(self) -> None:
        if self.resuming_with:
            self.handle = None  # a stale handle must not block the next try: start a fresh session

    def receive_data(self, data: str | bytes) -> None:
        before = self.decoder.resumption_handle
        self._events += self.decoder.feed_text(data)
        if self.decoder.go_away_in is not None:
            self.going_away = True
        handle = self.decoder.resumption_handle
        if handle and handle != before:
            self.handle = handle
            self.handle_known = list(self.context.known)

    def send_turn(self, conversation: Conversation) -> None:
        """What the server lacks as context, then the latest message with `turnComplete`."""
        *earlier, latest = self.context.unsent(conversation.messages)
        if earlier:
            self.send(client_content(earlier, turn_complete=False))
        self.send(client_content([latest], turn_complete=True))
        self.context.sent(conversation.messages)

    def send_tool_results(self, results: Sequence[ToolResult]) -> bool:
        """The step's results in one `toolResponse` (the model goes on by itself); any the server
        withdrew are dropped. False: nothing was left to send (the model will not go on)."""
        kept = [result for result in results if result.call_id not in self.decoder.cancelled]
        if kept:
            self.send(tool_response(kept, self.decoder.synthetic))
        return bool(kept)

    def send_cancel(self) -> None:
        """Live has no cancel: an activity start cuts the answer off (the server says `interrupted`)."""
        self.send(activity_start())
        self.send(activity_end())

    def send_audio(self, pcm16: bytes) -> None:
        self.send(realtime_audio(pcm16))

    def send_video(self, jpeg: bytes) -> None:
        """A shared frame (screen, camera, file) into the session's realtime input."""
        self.send(realtime_video(jpeg))

    def answered(self, text: str) -> None:
        self.context.answered(text)

"""The loopback's Gemini Live (BidiGenerateContent) session, independent of the socket.

Messages in through `handle()`, messages out through `send`; `close(code,
reason)` ends the socket the way Live reports errors (close frames, no error
message). Sessions can be resumed with the handles it hands out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .audio_meter import Heard, measure, resample, tone
from .gemini import inline_files, offered_tools, tool_turn
from .pacing import Schedule, fault_position
from .records import ConnectionRecord, RequestRecord
from .scripts import FAULTS, Conversation, Message, ModelError, Script, last_token_due, parse_model, write_script
from .tool_model import Call, Tool
from .vad import EnergyVad

INPUT_RATE = 16000
OUTPUT_RATE = 24000
AUDIO_CHUNK_BYTES = OUTPUT_RATE * 2 // 10
WIRE = "gemini_live"
GOAWAY_SECONDS = 0.1
clock = time.monotonic

Send = Callable[[dict], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


def get(mapping: Any, camel: str) -> Any:
    """Live JSON accepts lowerCamel and snake_case names."""
    if not isinstance(mapping, dict):
        return None
    if camel in mapping:
        return mapping[camel]
    return mapping.get(re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower())


@dataclass
class Turn:
    role: str  # "user" | "model"
    text: str
    heard: Heard | None = None
    audio: bytes = b""
    files: tuple[tuple[str, int], ...] = ()  # (media type, bytes) of its inlineData parts
    parts: tuple[dict, ...] = ()  # a step's `functionCall` parts (model) or the client's `functionResponse` parts (user)

    def content(self) -> dict:
        return {"role": self.role, "parts": list(self.parts) or [{"text": self.text}]}


@dataclass
class Generation:
    record: RequestRecord
    pieces: list[str] = field(default_factory=list)
    task: asyncio.Task | None = None
    finishing: bool = False


class LiveServerSession:
    """One Live session: `setup` first, then turns; at most one generation at a time."""

    def __init__(self, send: Send, server: Any, close: Close, path: str) -> None:
        self.state = getattr(server, "state", server)
        self._send = send
        self._close = close
        self._lock = asyncio.Lock()
        self.path = path
        self.connection = ConnectionRecord(path, WIRE, opened=clock())
        self.state.connections.append(self.connection)
        self.index = len(self.state.connections) - 1
        self.model = ""
        self.spec = None
        self.modalities = ["TEXT"]
        self.system = ""
        self.turns: list[Turn] = []
        self.audio = bytearray()
        self.audio_rate = INPUT_RATE
        self.generation: Generation | None = None
        self.resumed = False
        self.said_goodbye = False
        self.automatic_activity = True  # Live's default: the server hears speech start and stop itself
        self.vad: EnergyVad | None = None
        self.playing_until = 0.0  # when the last answer's audio has played out at the client
        self.tools: tuple[Tool, ...] = ()  # declared at setup (`tools[].functionDeclarations`)
        self.pending: dict[str, Call] = {}  # calls sent in a `toolCall` and not answered yet
        self.withdrawn: set[str] = set()  # calls cancelled by a `toolCallCancellation`: a late response to one is ignored

    async def send(self, message: dict) -> None:
        async with self._lock:
            await self._send(message)

    # ---------------------------------------------------------------- messages

    async def handle(self, message: dict) -> None:
        if self.spec is None:
            setup = get(message, "setup")
            if setup is None:
                return await self._close(1007, "Request contains an invalid argument: the first message must be setup.")
            return await self.on_setup(setup)
        if get(message, "clientContent") is not None:
            return await self.on_client_content(get(message, "clientContent"))
        if get(message, "realtimeInput") is not None:
            return await self.on_realtime_input(get(message, "realtimeInput"))
        if get(message, "toolResponse") is not None:
            return await self.on_tool_response(get(message, "toolResponse"))
        await self._close(1007, "Request contains an invalid argument: unknown message.")

    async def on_setup(self, setup: dict) -> None:
        self.connection.setup = setup
        model = str(get(setup, "model") or "").removeprefix("models/")
        self.model = self.connection.model = model
        try:
            spec = parse_model(model)
        except ModelError:
            return await self._close(1008, f"models/{model} is not found for API version v1beta, or is not supported for bidiGenerateContent.")
        fault = FAULTS.get(spec.base)
        if fault and fault.status in (401, 403):
            return await self._close(1008, "API key not valid. Please pass a valid API key.")
        config = get(setup, "generationConfig") or {}
        self.modalities = [str(m).upper() for m in (get(config, "responseModalities") or ["TEXT"])]
        instruction = get(setup, "systemInstruction")
        if instruction:
            self.system = "".join(str(get(part, "text") or "") for part in get(instruction, "parts") or [])
        handle = get(get(setup, "sessionResumption") or {}, "handle")
        if handle:
            saved = self.state.resumable.get(handle)
            if saved is None:
                return await self._close(1008, "Invalid session resumption handle.")
            self.turns = list(saved)
            self.resumed = True
        self.tools = offered_tools(setup)  # the same reading as the HTTP wire's `tools`
        detection = get(get(setup, "realtimeInputConfig") or {}, "automaticActivityDetection") or {}
        self.automatic_activity = not get(detection, "disabled")
        self.spec = spec
        await self.send({"setupComplete": {}})
        await self.offer_handle()

    async def offer_handle(self) -> None:
        handle = f"loopback-{uuid.uuid4().hex}"
        self.state.resumable[handle] = list(self.turns)
        await self.send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}})

    async def on_client_content(self, content: dict) -> None:
        for turn in get(content, "turns") or []:
            text = "".join(str(get(part, "text") or "") for part in get(turn, "parts") or [])
            files = inline_files(turn)
            self.connection.files += files
            steps = tuple(p for p in get(turn, "parts") or [] if isinstance(p, dict) and (get(p, "functionCall") or get(p, "functionResponse")))
            self.turns.append(Turn("model" if get(turn, "role") == "model" else "user", text, files=files, parts=steps))
        if get(content, "turnComplete"):
            await self.start()

    async def on_tool_response(self, response: dict) -> None:
        """The client's results: each must answer a call the model is waiting on (by `id`); Live
        reports a bad request by closing the socket (1007), as it does for any invalid argument."""
        self.connection.tool_frames.append({"toolResponse": response})
        answers = [answer for answer in get(response, "functionResponses") or [] if get(answer, "id") not in self.withdrawn]
        for answer in answers:
            call_id = get(answer, "id")
            if call_id not in self.pending:
                return await self._close(1007, f"Request contains an invalid argument: function response id {call_id!r} answers no pending function call.")
        for answer in answers:
            self.pending.pop(get(answer, "id"))
        if answers:
            self.turns.append(Turn("user", "", parts=tuple({"functionResponse": answer} for answer in answers)))
        if answers and not self.pending:
            await self.start()  # every call answered: the model goes on by itself

    async def on_realtime_input(self, realtime: dict) -> None:
        audio = get(realtime, "audio")
        if audio:
            match = re.search(r"rate=(\d+)", str(get(audio, "mimeType") or ""))
            self.audio_rate = int(match.group(1)) if match else INPUT_RATE
            await self.hear(base64.b64decode(get(audio, "data") or ""))
        if get(realtime, "activityStart") is not None:
            await self.interrupt()  # START_OF_ACTIVITY_INTERRUPTS, the default activity handling
        if get(realtime, "activityEnd") is not None or get(realtime, "audioStreamEnd"):
            await self.commit_audio()
        for blob in [get(realtime, "video"), *(get(realtime, "mediaChunks") or [])]:  # shared frames (`mediaChunks`: the older field)
            if isinstance(blob, dict) and str(get(blob, "mimeType") or "").startswith("image/"):
                self.connection.frames.add_base64(str(get(blob, "mimeType")), str(get(blob, "data") or ""))
        text = get(realtime, "text")
        if isinstance(text, str) and text:
            self.turns.append(Turn("user", text))
            await self.start()

    def feed_audio(self, pcm16_16k: bytes) -> None:
        self.audio += pcm16_16k

    async def hear(self, pcm16: bytes) -> None:
        """Audio in; with automatic activity detection the loopback's energy detector decides the turns:
        speech starting cuts the answer (`interrupted`), speech stopping commits and answers it."""
        self.audio += pcm16
        if not self.automatic_activity or "AUDIO" not in self.modalities:
            return
        if self.vad is None or self.vad.rate != self.audio_rate:
            self.vad = EnergyVad(self.audio_rate)
        for edge in self.vad.feed(pcm16):
            if edge.started:
                await self.barge_in()
            else:
                await self.commit_audio()
        if not self.vad.speaking:  # between utterances keep only 300 ms before speech
            keep = int(self.audio_rate * 0.3) * 2
            del self.audio[: max(0, len(self.audio) - keep)]

    async def commit_audio(self) -> None:
        if not self.audio:
            return
        audio, self.audio = bytes(self.audio), bytearray()
        heard = measure(audio, self.audio_rate)
        self.turns.append(Turn("user", heard.transcript(), heard, audio))
        await self.send({"serverContent": {"inputTranscription": {"text": heard.transcript()}}})
        await self.start()

    # ---------------------------------------------------------------- answering

    def conversation(self) -> Conversation:
        messages = tuple(Message("assistant" if t.role == "model" else "user", t.text, t.files) for t in self.turns if not t.parts)
        return Conversation(system=self.system, messages=messages, tools=tool_turn([t.content() for t in self.turns], self.tools))

    def script(self, conversation: Conversation) -> Script:
        if self.spec.base == "vision":
            return Script(text=self.connection.frames.report())
        last = next((t for t in reversed(self.turns) if t.role == "user"), None)
        if self.spec.base == "echo" and last is not None and last.heard is not None:
            return Script(text=last.heard.answer())
        return write_script(self.spec.base, conversation, thinking=False)

    async def start(self) -> None:
        self.pending.clear()  # new input while calls waited: they are abandoned
        await self.interrupt()  # new input while answering: the old answer stops
        record = RequestRecord(path=self.path, wire=WIRE, model=self.model, status=200, started=clock(), connection=self.index)
        record.request_json = {"turns": len(self.turns), "context": [[t.role, t.text] for t in self.turns]}  # what this answer builds on
        self.state.records.append(record)
        self.connection.responses += 1
        generation = Generation(record)
        self.generation = generation
        generation.task = asyncio.create_task(self._generate(generation))

    async def barge_in(self) -> None:
        """Speech heard during an answer: stop generating, withdraw the calls it waits on, or (all of
        it sent) stop it playing, as Live does."""
        if self.pending and self.generation is None:
            await self.interrupt()  # `toolCallCancellation`
        elif self.generation is not None and not self.generation.finishing:
            await self.interrupt()
        elif clock() < self.playing_until:
            self.playing_until = 0.0
            await self.send({"serverContent": {"interrupted": True}})

    async def interrupt(self) -> None:
        if self.pending and self.generation is None:
            ids, self.pending = list(self.pending), {}
            self.withdrawn.update(ids)
            await self.send({"toolCallCancellation": {"ids": ids}})  # the user cut in while the calls ran
            return
        generation = self.generation
        if generation is None or generation.finishing:
            return
        generation.record.cancel_received = clock()
        if generation.task is not None:
            generation.task.cancel()
            await asyncio.gather(generation.task, return_exceptions=True)
        generation.record.ended = clock()
        generation.record.outcome = "cancelled"
        self.turns.append(Turn("model", "".join(generation.pieces)))
        self.generation = None
        await self.send({"serverContent": {"interrupted": True}})

    async def _generate(self, generation: Generation) -> None:
        conversation = self.conversation()
        script = self.script(conversation)
        if script.calls:  # the `tools` model asks for calls: the model waits for their responses
            return await self._call_tools(generation, script.calls)
        cached = self.state.prompt_cache.remember(self.spec.base, conversation, last_token_due(self.spec, script, generation.record.started or clock()))
        fault = FAULTS.get(self.spec.base)
        fire_at = fault_position(script, fault)
        audio_mode = "AUDIO" in self.modalities
        schedule = Schedule(self.spec.rate, self.spec.ttft, origin=generation.record.started or clock())
        pieces = [piece for kind, piece in script.parts if kind != "thinking"]
        for index, piece in enumerate(pieces):
            if index == fire_at:
                return await self._fire(generation, fault.action if fault else None)
            wait = schedule.due(index) - clock()
            if wait > 0:
                await asyncio.sleep(wait)
            if audio_mode:
                await self.send({"serverContent": {"outputTranscription": {"text": piece}}})
                if index == 0:
                    await self._speak()
            else:
                await self.send({"serverContent": {"modelTurn": {"parts": [{"text": piece}]}}})
            generation.pieces.append(piece)
            generation.record.tokens_sent += 1
            if generation.record.first_byte is None:
                generation.record.first_byte = clock()
        if fire_at is not None and fire_at >= len(pieces) and fault is not None:
            return await self._fire(generation, fault.action)
        generation.finishing = True
        self.turns.append(Turn("model", "".join(generation.pieces)))
        usage = {
            "promptTokenCount": conversation.input_tokens,
            "cachedContentTokenCount": cached,
            "responseTokenCount": len(generation.pieces),
            "totalTokenCount": conversation.input_tokens + len(generation.pieces),
        }
        await self.send({"serverContent": {"generationComplete": True}})
        await self.send({"serverContent": {"turnComplete": True}, "usageMetadata": usage})
        generation.record.ended = clock()
        generation.record.outcome = "complete"
        self.generation = None
        await self.offer_handle()
        if self.spec.base == "fault-goaway" and not self.resumed and not self.said_goodbye:
            self.said_goodbye = True
            await self.send({"goAway": {"timeLeft": f"{GOAWAY_SECONDS}s"}})
            await asyncio.sleep(GOAWAY_SECONDS)
            await self._close(1001, "session time limit reached (loopback fault-goaway)")

    async def _call_tools(self, generation: Generation, calls: tuple[Call, ...]) -> None:
        """One `toolCall` with every call of the step; the model then waits for `toolResponse`."""
        generation.finishing = True
        asked = [{"id": c.id, "name": c.name, "args": json.loads(c.arguments or "{}")} for c in calls]
        self.turns.append(Turn("model", "", parts=tuple({"functionCall": call} for call in asked)))
        self.pending.update((call.id, call) for call in calls)
        await self.send({"toolCall": {"functionCalls": asked}})
        generation.record.tokens_sent += len(calls)
        generation.record.first_byte = generation.record.first_byte or clock()
        generation.record.ended = clock()
        generation.record.outcome = "tool_use"
        self.generation = None

    async def _speak(self) -> None:
        last = next((t for t in reversed(self.turns) if t.role == "user" and not t.parts), None)  # the user's words, not a tool step's responses
        audio = tone(0.3, OUTPUT_RATE) if last is None or not last.audio else resample(last.audio, self.audio_rate, OUTPUT_RATE)
        self.playing_until = clock() + len(audio) / 2 / OUTPUT_RATE  # sent faster than real time; heard until then
        for start in range(0, len(audio), AUDIO_CHUNK_BYTES):
            data = base64.b64encode(audio[start : start + AUDIO_CHUNK_BYTES]).decode("ascii")
            await self.send({"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": f"audio/pcm;rate={OUTPUT_RATE}", "data": data}}]}}})

    async def _fire(self, generation: Generation, action: str | None) -> None:
        """Live reports failures as close frames, so both fault models close the socket."""
        if action == "stall":
            await asyncio.Event().wait()
        generation.record.ended = clock()
        generation.record.outcome = "fault"
        self.generation = None
        reason = "Internal error occurred." if action == "drop" else f"Internal error encountered (loopback {self.spec.base})."
        await self._close(1011, reason)

    async def close(self) -> None:
        generation = self.generation
        if generation is not None and generation.task is not None and not generation.task.done():
            generation.task.cancel()
            await asyncio.gather(generation.task, return_exceptions=True)
            if generation.record.ended is None:
                generation.record.ended = clock()
                generation.record.outcome = "disconnected"
        self.generation = None
        if self.connection.closed is None:
            self.connection.closed = clock()

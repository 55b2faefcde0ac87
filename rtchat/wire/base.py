"""What every wire format shares: the request it builds and the decoder contract."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rtchat.attachments import Attachment
from rtchat.conversation import ChatMessage, Conversation, ToolSpec, has_words
from rtchat.events import DONE_REASONS, USAGE_FIELDS, AudioChunk, Cost, Done, DoneReason, Error, Event, Notice, Usage, plausible_usd
from rtchat.wire.sse import ServerSentEvent


@dataclass(slots=True)
class RequestOptions:
    """What the user chose for this turn, before any provider's naming."""

    effort: str | None = None  # None: the provider's own default
    max_tokens: int | None = None
    provider_id: str = ""  # thinking blocks are sent back only to the provider that made them
    effort_style: str = "openai"  # dialect of the OpenAI-compatible reasoning knob
    api_version: str = ""  # Azure OpenAI's `api-version` query parameter
    tools: tuple[ToolSpec, ...] = ()  # offered to the model; none: the request carries no tools field
    tool_choice: str = "auto"  # "auto" | "none" | "required", in each wire's own words
    extra_body: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class HttpRequest:
    url: str
    headers: dict[str, str]
    body: dict[str, Any]


def done_reason(words: dict[str, str], word: str | None, unknown: DoneReason = "complete") -> DoneReason:
    """A provider's stop word in rtchat's words: provider words never leave `wire/`.

    An unknown word means the model stopped for a reason rtchat does not know
    yet; what it said is still an answer (`unknown`, "complete" by default)."""
    reason = words.get(word or "", unknown)
    return reason if reason in DONE_REASONS else unknown  # type: ignore[return-value]


def user_text(message: ChatMessage) -> str:
    """The words of a user message with its text attachments after them (binary ones travel as parts)."""
    texts = [attachment.text() for attachment in message.attachments if attachment.kind == "text"]
    return "\n\n".join([message.text, *texts]) if texts else message.text


def binary_attachments(message: ChatMessage) -> list[Attachment]:
    return [attachment for attachment in message.attachments if attachment.kind != "text"]


def _whole_number(digits: str) -> int | float:
    # Past 4,300 digits int() refuses (CPython's guard), which would cost the whole frame and
    # its text; no count or id has 40 digits, so a longer number reads as "too big" (inf).
    return int(digits) if len(digits) <= 40 else math.inf


def parse_json(data: str) -> Any:
    """JSON or None; tolerates the padding some servers add."""
    try:
        return json.loads(data, parse_int=_whole_number)
    except (ValueError, RecursionError):
        return None


def mapping(value: object) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one: a server's odd `usage` ("12", [1])
    must not cost the frame's text."""
    return value if isinstance(value, Mapping) else {}


def reported_usage(usage: Usage, said: Mapping[str, object]) -> list[Event]:
    """The usage event, and a notice when a count the server `said` (by Usage field name) was
    implausible and is left out: "not said" rather than a bill of 10^18 tokens."""
    odd = [name for name in USAGE_FIELDS if said.get(name) is not None and getattr(usage, name) is None]
    if not odd:
        return [usage]
    shown = ", ".join(f"{name}={preview(repr(said[name]), 24)}" for name in odd)
    return [usage, Notice(f"the server's token counts make no sense ({shown}); they are left out", "warning")]


def reported_cost(value: object) -> list[Event]:
    """A cost the server reports (LiteLLM, OpenRouter): believed up to `MOST_USD`, else a notice."""
    if value is None or value == "":
        return []
    try:
        usd = plausible_usd(float(value) if isinstance(value, str) else value)
    except ValueError:
        usd = None
    if usd is None:
        return [Notice(f"the server reported a cost of {preview(str(value), 24)} dollars, which is not plausible; the cost is left out", "warning")]
    return [Cost(usd, "server")]


def preview(data: str, limit: int = 60) -> str:
    text = data.strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def alternating_turns(conversation: Conversation) -> list[ChatMessage]:
    """Messages as strict user/assistant alternation, which Anthropic and Gemini require.

    Empty assistant answers (an error before any text) are dropped and
    consecutive messages of one role are joined, so nothing the user typed is lost.
    An answer with tool steps is kept whole and never joined (its steps come before its
    words): the wire joins its provider messages itself.
    """
    turns: list[ChatMessage] = []
    for message in conversation.messages:
        if message.role == "assistant" and not has_words(message.text) and not message.rounds:
            continue
        if turns and turns[-1].role == message.role and not (message.rounds or turns[-1].rounds):
            previous = turns[-1]
            turns[-1] = ChatMessage(
                previous.role,
                f"{previous.text}\n\n{message.text}",
                previous.thinking + message.thinking,
                previous.attachments + message.attachments,
            )
        else:
            turns.append(message)
    return turns


class StreamDecoder:
    """Turns one provider's SSE events into rtchat events.

    Subclasses implement `_decode`. The base class guarantees: a bad frame
    becomes a warning notice, never an exception; nothing is emitted after
    `Done`; and `finish()` at end of stream always yields exactly one `Done`.
    """

    wire = "base"

    def __init__(self) -> None:
        self.done = False

    def feed(self, sse: ServerSentEvent) -> list[Event]:
        if self.done:
            return []
        try:
            events = self._decode(sse)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            events = [Notice(f"skipped a frame rtchat could not read ({type(exc).__name__}): {preview(sse.data)}", "warning")]
        for event in events:
            if isinstance(event, Done):
                self.done = True
        return events

    def finish(self) -> list[Event]:
        """The byte stream ended: close the turn with the right reason."""
        if self.done:
            return []
        self.done = True
        return self._finish()

    def _decode(self, sse: ServerSentEvent) -> list[Event]:
        raise NotImplementedError

    def headers(self, headers: Mapping[str, str]) -> list[Event]:
        """Events a response's headers carry (a gateway's cost); most wires have none."""
        return []

    def whole(self, payload: object) -> list[Event]:
        """A server that answered a streaming request with the complete answer as JSON
        (LiteLLM's `/v1/messages` does): the same events, ending in one `Done`.

        Each wire rewrites its non-streaming body as the frames it would have streamed,
        so one decoder reads both and nothing is parsed twice."""
        try:
            frames = self._as_stream(payload)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            frames = None
        if frames is None:
            return [Error("protocol", f"the server answered with JSON that is not a {self.wire} answer: {preview(json.dumps(payload, ensure_ascii=False, default=str))}"), Done("error")]
        events: list[Event] = []
        for frame in frames:
            events += self.feed(ServerSentEvent(data=json.dumps(frame), event=frame.get("type", "") if isinstance(frame, dict) else ""))
        return events + self.finish()

    def _as_stream(self, payload: object) -> list[dict] | None:
        """The frames equivalent to a whole JSON answer; None when it is not one."""
        return None

    def _finish(self) -> list[Event]:
        return truncated()

    def malformed(self, sse: ServerSentEvent) -> list[Event]:
        return [Notice(f"skipped a malformed frame: {preview(sse.data)}", "warning")]


def truncated() -> list[Event]:
    return [
        Error("connection", "the stream ended before the answer was complete; what arrived is kept", retryable=True),
        Done("error"),
    ]


def in_stream_error(kind: str, message: str, retryable: bool = False) -> list[Event]:
    return [Error(kind, message, retryable), Done("error")]


def pcm16_audio(data: bytes, rate: int) -> AudioChunk:
    """Answer audio as whole PCM16 samples: a server's odd trailing byte (half a sample) is dropped,
    never passed on to fail in whatever plays or saves it."""
    return AudioChunk(data[: len(data) // 2 * 2], rate)

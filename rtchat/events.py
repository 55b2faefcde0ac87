"""The one event vocabulary every provider's stream is decoded into.

The UI, the store, `rtchat ask --jsonl` and the benchmarks consume these and
nothing else, so no consumer ever needs to know a provider's field names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Literal, Union, get_args

# How a turn ended, in rtchat's words; each wire module maps its provider's words to one of these.
DoneReason = Literal["complete", "interrupted", "length", "refusal", "error", "tool_use", "pause"]
DONE_REASONS: frozenset[str] = frozenset(get_args(DoneReason))


class ErrorKind(StrEnum):
    """What went wrong, as a person would sort it; the `kind` of `--jsonl` error events."""

    AUTH = "auth"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    OVERLOADED = "overloaded"
    SERVER = "server"
    BAD_REQUEST = "bad_request"
    TIMEOUT = "timeout"  # a stall: the server went silent
    CONNECTION = "connection"
    CLOSED = "closed"  # the server ended the socket normally (1000) before the answer ended
    TLS = "tls"
    REDIRECT = "redirect"
    INSECURE = "insecure"
    PROTOCOL = "protocol"
    CONFIG = "config"
    UNAVAILABLE = "unavailable"  # the model or protocol cannot do what was asked
    VOICE = "voice"
    STORAGE = "storage"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer text."""

    text: str
    type: Literal["text"] = field(default="text", init=False)


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    """A piece of the model's reasoning (or reasoning summary)."""

    text: str
    type: Literal["thinking"] = field(default="thinking", init=False)


@dataclass(frozen=True, slots=True)
class ThinkingSignature:
    """Anthropic's signature for the thinking block just streamed; sent back in later turns."""

    signature: str
    type: Literal["thinking_signature"] = field(default="thinking_signature", init=False)


@dataclass(frozen=True, slots=True)
class RedactedThinking:
    """Reasoning the provider encrypted; shown as redacted, kept opaque for later turns."""

    data: str
    type: Literal["redacted_thinking"] = field(default="redacted_thinking", init=False)


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a tool call the model is asking for, as it streams.

    Fragments with the same `index` (within one step of the answer) make one call: the id and
    name come in the first, `arguments` in pieces, joined exactly as sent (never re-serialised).
    `extra` carries what a provider needs back on the same call, byte for byte: Gemini's
    `thought_signature`, a Responses item `id`."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    type: Literal["tool_call_delta"] = field(default="tool_call_delta", init=False)


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """A whole tool call, about to be put to the user for approval (`--jsonl`'s `tool_call`).

    Put by the turn's tool step, not a wire: `server` is the MCP server that owns `name`
    (None for a tool no server offers: that call is refused with a result saying so)."""

    id: str
    name: str
    server: str | None
    arguments: str
    type: Literal["tool_call"] = field(default="tool_call", init=False)


ToolStatus = Literal["ok", "error", "denied", "cancelled", "timeout", "unknown_tool"]


@dataclass(frozen=True, slots=True)
class ToolImage:
    """An image a tool returned, going to the model with its result: `media_type` is what its
    bytes say they are (their magic number), never only what the tool claimed."""

    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ToolCallResult:
    """What a tool call gave back (or why it did not run), as sent to the model (`--jsonl`'s
    `tool_result`). `output` is the text the wire sends, already cut to the result limit;
    `ms` is the tool's own time (None when it never ran)."""

    id: str
    name: str
    output: str
    is_error: bool = False
    ms: float | None = None
    server: str | None = None
    status: ToolStatus = "ok"
    images: tuple[ToolImage, ...] = ()  # sent to the model as images (a model that reads them); `output` describes each too
    type: Literal["tool_result"] = field(default="tool_result", init=False)


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """PCM16 mono audio from the model."""

    pcm: bytes
    rate: int
    type: Literal["audio"] = field(default="audio", init=False)


@dataclass(frozen=True, slots=True)
class Transcript:
    """Text of spoken audio: the user's (input) or the model's (output)."""

    role: Literal["user", "assistant"]
    text: str
    final: bool = False
    type: Literal["transcript"] = field(default="transcript", init=False)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts; None where the provider did not say."""

    input_tokens: int | None = None  # all prompt tokens, cached and cache-written ones included
    output_tokens: int | None = None  # reasoning included
    cached_tokens: int | None = None  # read from the provider's cache (billed at the cached price)
    reasoning_tokens: int | None = None
    cache_write_tokens: int | None = None  # written to the cache this turn (Anthropic bills them at a premium)
    type: Literal["usage"] = field(default="usage", init=False)

    def __post_init__(self) -> None:
        # Anything but a plausible count (NaN, Infinity, -1, "12", 1.5, 10**400) is "not said"
        # rather than a figure that breaks the status line, JSON output, a cost or the history.
        for name in USAGE_FIELDS:
            object.__setattr__(self, name, plausible_count(getattr(self, name)))


USAGE_FIELDS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "cache_write_tokens")

# Plausibility bounds for what a server says. The largest context windows of 2026 hold ~10^7
# tokens, so a turn past 10^12 tokens (SQLite's integers end near 9.2 * 10^18, Python's floats
# overflow on 10^400 * a price) is a broken or hostile server, not a bill. The dearest model
# rtchat knows costs $75 per million output tokens: $10,000 is ~130 million output tokens in
# one turn, far past any context window, so a larger per-turn cost is not believed either.
MOST_TOKENS = 10**12
MOST_USD = 10_000.0


def plausible_count(value: object) -> int | None:
    """A token count a server said: a whole number from 0 to `MOST_TOKENS`, else None (not said)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MOST_TOKENS:
        return value
    return None


def plausible_usd(value: object) -> float | None:
    """A turn's cost in dollars: a finite number from 0 to `MOST_USD`, else None (not said)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MOST_USD:
        return float(value)  # NaN fails both comparisons; 10**400 compares fine as an int
    return None


USD_PLACES = 10  # machine output's money: 1e-10 $ is under a hundredth of the cheapest token's price, and no float noise


def machine_usd(value: float | None) -> float | None:
    """Dollars for `--jsonl`/`--json`: rounded to USD_PLACES, so 1.5819999999999998e-05 reads 1.582e-05."""
    return None if value is None else round(value, USD_PLACES)


@dataclass(frozen=True, slots=True)
class Cost:
    """What the turn cost in US dollars: reported by the server (LiteLLM, OpenRouter) or
    computed from rtchat's price table; `saved_usd` is what cached input tokens saved."""

    usd: float
    source: Literal["server", "table"]
    saved_usd: float | None = None
    type: Literal["cost"] = field(default="cost", init=False)


@dataclass(frozen=True, slots=True)
class ServerTimings:
    """The server's own account of its speed (llama.cpp's `timings`): prompt and generation
    tokens per second and how many prompt tokens came from its cache."""

    prompt_tokens_per_s: float | None = None
    output_tokens_per_s: float | None = None
    cached_tokens: int | None = None
    type: Literal["server_timings"] = field(default="server_timings", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cached_tokens", plausible_count(self.cached_tokens))  # llama.cpp's cache_n can be -1


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should see that is not an error (a retry, a skipped frame)."""

    text: str
    level: Literal["info", "warning"] = "info"
    type: Literal["notice"] = field(default="notice", init=False)


@dataclass(frozen=True, slots=True)
class Metrics:
    """Latency figures of one turn, in milliseconds (None where not measured)."""

    connect_ms: float | None = None
    headers_ms: float | None = None
    ttft_ms: float | None = None
    total_ms: float | None = None
    tokens_per_s: float | None = None
    output_chunks: int = 0
    attempts: int = 1
    first_audio_ms: float | None = None  # spoken turns (metrics.TurnClock defines both)
    speech_to_audio_ms: float | None = None
    thinking_ms: float | None = None  # from the first thought to the first text after it
    effort: str | None = None  # the effort the turn sent, when it thought (a stored answer's thinking title says it)
    type: Literal["metrics"] = field(default="metrics", init=False)


@dataclass(frozen=True, slots=True)
class Error:
    """A failure the user must see: what happened and whether trying again may help."""

    kind: ErrorKind
    message: str
    retryable: bool = False
    type: Literal["error"] = field(default="error", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ErrorKind(self.kind))  # an unknown kind is a bug: fail loudly


@dataclass(frozen=True, slots=True)
class Done:
    """Always the last event of a turn."""

    reason: DoneReason
    type: Literal["done"] = field(default="done", init=False)

    def __post_init__(self) -> None:
        if self.reason not in DONE_REASONS:  # provider words must be mapped in wire/, never passed on
            raise ValueError(f"unknown done reason {self.reason!r}")


# ---- the voice session's signals: where speech starts and stops, the server's playback.
# Decoded in wire/ from each provider's words, read by the voice session, never shown or stored.


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """The server heard the user start speaking (`at_ms` into the input audio; 0 when not said)."""

    at_ms: int = 0
    type: Literal["speech_started"] = field(default="speech_started", init=False)


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    """The server heard the user stop speaking; hands-free, a turn begins here."""

    at_ms: int = 0
    type: Literal["speech_stopped"] = field(default="speech_stopped", init=False)


@dataclass(frozen=True, slots=True)
class AnswerAudioStarted:
    """The server began streaming the answer's audio (WebRTC: its output buffer started)."""

    type: Literal["answer_audio_started"] = field(default="answer_audio_started", init=False)


@dataclass(frozen=True, slots=True)
class AnswerAudioStopped:
    """The server has no more of the answer's audio to stream (stopped, or cleared on a barge-in)."""

    type: Literal["answer_audio_stopped"] = field(default="answer_audio_stopped", init=False)


@dataclass(frozen=True, slots=True)
class Truncated:
    """The server cut its copy of the answer to what the user heard (`heard_ms`)."""

    heard_ms: int = 0
    type: Literal["truncated"] = field(default="truncated", init=False)


VOICE_SIGNALS = (SpeechStarted, SpeechStopped, AnswerAudioStarted, AnswerAudioStopped, Truncated)


Event = Union[
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    RedactedThinking,
    ToolCallDelta,
    ToolCallRequest,
    ToolCallResult,
    AudioChunk,
    Transcript,
    Usage,
    Cost,
    ServerTimings,
    Notice,
    Metrics,
    Error,
    Done,
    SpeechStarted,
    SpeechStopped,
    AnswerAudioStarted,
    AnswerAudioStopped,
    Truncated,
]


# Pieces of the answer itself (as opposed to figures, notices and the end): what Ctrl-C stops
# showing at once, and what makes a turn "answered" (no silent retry, deadlines move on).
ANSWER_EVENTS = (TextDelta, ThinkingDelta, ToolCallDelta, ToolCallResult, RedactedThinking, Transcript, AudioChunk)


def event_to_dict(event: Event) -> dict:
    """The `--jsonl` shape of an event: `type` first, then the fields."""
    data = asdict(event)
    kind = data.pop("type")
    if isinstance(event, AudioChunk):
        data = {"bytes": len(event.pcm), "rate": event.rate}
    elif isinstance(event, ToolCallDelta):
        data["extra"] = dict(event.extra)
    elif isinstance(event, ToolCallResult):
        data["images"] = [{"name": image.name, "media_type": image.media_type, "bytes": len(image.data)} for image in event.images]
    elif isinstance(event, Cost):
        data["usd"], data["saved_usd"] = machine_usd(event.usd), machine_usd(event.saved_usd)
    return {"type": kind, **data}

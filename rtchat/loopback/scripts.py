"""The loopback's built-in models: what they say, how they misbehave, how they count.

Everything here is pure (no I/O, no clocks), so every wire format renders the
very same script and tests can compute the expected text without a server.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import random
import re
from dataclasses import dataclass, field

from .shape import THINK_TIME_SCALE, Shape, offset, think_shape
from .tool_model import Call, Step, Tool, argument_pieces, next_reply

TOKEN_PATTERN = re.compile(r"\S+\s*|\s+")


def tokenize(text: str) -> list[str]:
    """Split text into loopback tokens; joining them gives the text back exactly."""
    return TOKEN_PATTERN.findall(text)


def count_tokens(text: str) -> int:
    return sum(1 for _ in TOKEN_PATTERN.finditer(text))


# ---------------------------------------------------------------- catalogue

MODELS: dict[str, str] = {
    "echo": "thinks briefly, then repeats your last message verbatim in a short markdown reply",
    "lorem": "a long seeded markdown document (>5,000 tokens) with lists, code and a table",
    "redacted": "echo, preceded by a redacted (encrypted) thinking block",
    "deliberate": "echo after two signed thinking blocks with a redacted one between them (Anthropic's hardest shape)",
    "tools": "calls the tools it is offered (`name(key=value)` in the prompt, else the first with sample arguments), then quotes their results",
    "refusal": "always declines (OpenAI refusal deltas, Anthropic/Gemini refusal stop)",
    "fault-length": "echo cut short with a max-tokens finish reason",
    "fault-error-midstream": "10 answer tokens, then an in-stream error frame",
    "fault-stall": "5 answer tokens, then silence until the client goes away",
    "fault-stall-first": "status 200 and headers, then silence",
    "fault-keepalive": "keep-alive comments every 100 ms for 1 s, then a normal echo",
    "fault-429": "always HTTP 429 with Retry-After: 1",
    "fault-429-once": "HTTP 429 (Retry-After: 1) the first time a body is seen, then echo",
    "fault-500": "always HTTP 500",
    "fault-500-once": "HTTP 500 the first time a body is seen, then echo",
    "fault-529": "always HTTP 529 (overloaded)",
    "fault-401": "always HTTP 401 (authentication)",
    "fault-403": "always HTTP 403 (permission)",
    "fault-malformed": "5 answer tokens, one frame of broken JSON, then the rest of the echo",
    "fault-drop": "5 answer tokens, then the TCP connection is aborted mid-body",
    "fault-close-midreply": "5 answer tokens, then the connection drops (WebSocket: close code 1011)",
    "fault-error-frame": "5 answer tokens, then an error frame (Realtime: an `error` event and a failed response)",
    "fault-goaway": "WebSocket (Gemini Live): goAway after the first turn, then close; resumable with the handle",
}

# Answers shaped to stress a renderer: one huge block each, streamed like any answer. Not in the
# served model list (pickers stay short); benchmarks and tests name them directly.
SHAPES: dict[str, str] = {
    "shape-table": "one Markdown table of 10,000 rows",
    "shape-code": "one fenced code block of 5,000 lines",
    "shape-line": "one paragraph of about 1 MB without a newline",
}

# Models shaped for `rtchat bench`'s passes: named directly, not served in the model list either.
BENCH_MODELS: dict[str, str] = {
    "think": "thinks for its whole budget (effort low/medium/high: 1,024/4,096/16,384 tokens, or the request's budget_tokens), then echoes and writes 300 tokens of lorem; TTFT and tokens/s follow the seed's shape at 1/10 of its time (think@scale=1: real time)",
}

# Models that never end or flood: for soaks and bounds tests. Not served in the model list either.
SOAKS: dict[str, str] = {
    "endless": "the lorem document over and over, never finishing (as fast as asked: `endless@rate=0`)",
    "fault-flood": "5 answer tokens, then 20,000 malformed frames (sockets: frames of an unknown type), then the rest of the echo",
}
FLOOD_FRAMES = 20_000

# Models that report what reached the server, for tests and benchmarks of what rtchat sends. Not
# served in the model list (pickers stay short); named directly (`loopback/vision`).
PROBES: dict[str, str] = {
    "vision": "says what images arrived: sockets count shared frames (\"got 14 frames, last 768x432 JPEG\"), HTTP the images of the conversation",
}

# What a fault model says when it refuses, by kind (the wire module words the body).
FAULT_MESSAGES = {
    "rate_limit": "Rate limit reached for model `{model}`. Please try again in 1s.",
    "server": "The server had an error while processing your request.",
    "overloaded": "Overloaded",
    "auth": "Incorrect API key provided (the loopback model `{model}` always refuses it).",
    "permission": "You do not have permission to use model `{model}`.",
}

DEFAULT_RATE = {"lorem": 50.0, "endless": 0.0, **dict.fromkeys(SHAPES, 0.0)}  # tokens per second (0: at once); everything else uses ECHO_RATE
ECHO_RATE = 100.0


@dataclass(frozen=True)
class Fault:
    """How a fault model misbehaves; `action` fires after `after_tokens` answer tokens."""

    status: int | None = None  # answer with this HTTP error instead of a stream
    kind: str = ""  # provider-neutral error kind, rendered in each wire's native shape
    once: bool = False  # only the first time a request body is seen
    retry_after: int | None = None
    action: str | None = None  # "error" | "stall" | "stall_first" | "keepalive" | "malformed" | "flood" | "drop"
    after_tokens: int = 0


FAULTS: dict[str, Fault] = {
    "fault-error-midstream": Fault(action="error", after_tokens=10),
    "fault-stall": Fault(action="stall", after_tokens=5),
    "fault-stall-first": Fault(action="stall_first"),
    "fault-keepalive": Fault(action="keepalive"),
    "fault-malformed": Fault(action="malformed", after_tokens=5),
    "fault-flood": Fault(action="flood", after_tokens=5),
    "fault-drop": Fault(action="drop", after_tokens=5),
    "fault-close-midreply": Fault(action="drop", after_tokens=5),
    "fault-error-frame": Fault(action="error", after_tokens=5),
    "fault-goaway": Fault(action="goaway"),  # only the Live socket acts on it; SSE answers as echo
    "fault-429": Fault(status=429, kind="rate_limit", retry_after=1),
    "fault-429-once": Fault(status=429, kind="rate_limit", retry_after=1, once=True),
    "fault-500": Fault(status=500, kind="server"),
    "fault-500-once": Fault(status=500, kind="server", once=True),
    "fault-529": Fault(status=529, kind="overloaded"),
    "fault-401": Fault(status=401, kind="auth"),
    "fault-403": Fault(status=403, kind="permission"),
}

ERROR_STATUS = {
    "bad_request": 400,
    "auth": 401,
    "permission": 403,
    "not_found": 404,
    "rate_limit": 429,
    "server": 500,
    "overloaded": 529,
}


# ---------------------------------------------------------------- model names


class ModelError(ValueError):
    """A model name the loopback cannot serve; `kind` is "not_found" or "bad_request"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ModelSpec:
    """A model name split into the built-in model and its pacing options."""

    name: str
    base: str
    rate: float  # tokens per second, 0 = as fast as possible
    ttft: float  # seconds before the first token
    prefill: float = 0.0  # uncached input tokens read per second before the first token (0: free); see shape.py
    think_rate: float = 0.0  # thinking tokens per second (0: as `rate`)

    @property
    def shape(self) -> Shape:
        return Shape(self.rate, self.ttft, self.prefill, self.think_rate)


def last_token_due(spec: ModelSpec, script: Script, origin: float) -> float:
    """When a response started at `origin` sends its last part: TTFT, then the parts on the model's shape."""
    return origin + spec.ttft + offset(spec.shape, script.thinking_parts, max(0, len(script.parts) - 1), script.thinking_chunk)


def parse_model(name: str) -> ModelSpec:
    """Read `lorem`, `lorem@1000` or `lorem@rate=1000,ttft=250` (ttft in ms)."""
    if not isinstance(name, str) or not name:
        raise ModelError("bad_request", "you must provide a model parameter")
    base, _, options = name.partition("@")
    if base not in MODELS and base not in SHAPES and base not in SOAKS and base not in PROBES and base not in BENCH_MODELS:
        raise ModelError("not_found", f"The model `{name}` does not exist")
    values: dict[str, float] = {}
    for option in filter(None, options.split(",")):
        key, eq, value = option.partition("=")
        if not eq:
            key, value = "rate", key
        try:
            number = float(value)
        except ValueError:
            raise ModelError("bad_request", f"bad pacing option {option!r} in model `{name}`") from None
        if key not in PACING_OPTIONS or number < 0 or number != number or (key == "scale" and number == 0):
            raise ModelError("bad_request", f"bad pacing option {option!r} in model `{name}`")
        values[key] = number
    if "scale" in values and base != "think":
        raise ModelError("bad_request", f"scale is the think model's option, not `{base}`'s")
    shape = think_shape(values.get("scale", THINK_TIME_SCALE)) if base == "think" else Shape(DEFAULT_RATE.get(base, ECHO_RATE))
    return ModelSpec(
        name=name, base=base, rate=values.get("rate", shape.rate),
        ttft=values["ttft"] / 1000.0 if "ttft" in values else shape.ttft,
        prefill=values.get("prefill", shape.prefill), think_rate=values.get("think", shape.think_rate),
    )


# rate and think: tokens/s; ttft: ms; prefill: input tokens/s; scale: the think model's time, as a fraction of the seed's
PACING_OPTIONS = ("rate", "ttft", "prefill", "think", "scale")


# ---------------------------------------------------------------- conversations


@dataclass(frozen=True)
class Message:
    role: str  # "user" | "assistant"
    text: str
    files: tuple[tuple[str, int], ...] = ()  # (media type, bytes) of each binary part received with it


@dataclass(frozen=True)
class ToolTurn:
    """What a request says about tools, its wire's field names stripped away: the tools offered,
    this answer's rounds so far (after the last prompt), and how the wire's call ids look."""

    offered: tuple[Tool, ...] = ()
    steps: tuple[Step, ...] = ()
    earlier_calls: int = 0  # calls in the conversation before the last prompt: this answer's ids continue after them
    id_prefix: str = "call_"

    @property
    def first_number(self) -> int:
        return self.earlier_calls + 1

    def items(self) -> list[str]:
        """The rounds as the prompt cache and the token count see them."""
        items = []
        for step in self.steps:
            items.append("tool_calls\n" + "\n".join(f"{call.id} {call.name} {call.arguments}" for call in step.calls))
            items.append("tool_results\n" + "\n".join(f"{result.call_id} {result.output}" for result in step.results))
        return items


@dataclass(frozen=True)
class Conversation:
    """A request's messages with every wire's field names stripped away."""

    system: str = ""
    messages: tuple[Message, ...] = ()
    tools: ToolTurn = ToolTurn()

    @property
    def turn(self) -> int:
        return sum(1 for message in self.messages if message.role == "user")

    @property
    def prompt(self) -> str:
        """The last user message, which echo repeats verbatim."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""

    def prefix_items(self) -> list[str]:
        """The message list as the prompt cache sees it (system first, if any)."""
        items = [f"system\n{self.system}"] if self.system else []
        items.extend(f"{message.role}\n{message.text}" for message in self.messages)
        return items + self.tools.items()

    def item_tokens(self) -> list[int]:
        counts = [count_tokens(self.system)] if self.system else []
        counts.extend(count_tokens(message.text) for message in self.messages)
        return counts + [count_tokens(item) - 1 for item in self.tools.items()]  # the item's label is not a token

    @property
    def input_tokens(self) -> int:
        return sum(self.item_tokens())


@dataclass(frozen=True)
class Usage:
    """Token counts as the model reports them; output counts only what was really sent."""

    input_tokens: int = 0
    cached_tokens: int = 0
    thinking_tokens: int = 0
    text_tokens: int = 0

    @property
    def output_tokens(self) -> int:
        return self.thinking_tokens + self.text_tokens

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


# ---------------------------------------------------------------- scripts


@dataclass(frozen=True)
class Script:
    """What one model turn says: optional thinking, then the answer (or tool calls, kind `call:<n>`)."""

    thinking: str = ""
    text: str = ""
    answer_kind: str = "text"  # "text" | "refusal"
    stop: str = "complete"  # "complete" | "length" | "refusal" | "tool_use"
    redacted: str | None = None  # opaque data of a redacted thinking block
    thinking_after: str = ""  # a second thinking block, after the redacted one (Anthropic shows them apart)
    endless: bool = False  # the parts repeat forever: the answer never ends
    calls: tuple[Call, ...] = ()  # tool calls after the text; their arguments stream in pieces
    thinking_chunk: int = 1  # thinking tokens per streamed part (the think model's 16K thoughts go in chunks, as providers send them)
    parts: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        thought = tokenize(self.thinking)
        step = max(1, self.thinking_chunk)
        parts = [("thinking", "".join(thought[index:index + step])) for index in range(0, len(thought), step)]
        parts += [("thinking", piece) for piece in tokenize(self.thinking_after)]
        parts += [(self.answer_kind, piece) for piece in tokenize(self.text)]
        parts += [(f"call:{index}", piece) for index, call in enumerate(self.calls) for piece in argument_pieces(call.arguments)]
        object.__setattr__(self, "parts", tuple(parts))

    @property
    def thinking_parts(self) -> int:
        return sum(1 for kind, _ in self.parts if kind == "thinking")

    @property
    def block_break(self) -> int | None:
        """The part index where the first thinking block ends and the redacted one stands, if split."""
        return count_tokens(self.thinking) if self.thinking_after else None

    def full_usage(self, input_tokens: int = 0, cached_tokens: int = 0) -> Usage:
        """Usage when every token of the script was sent."""
        thinking = count_tokens(self.thinking) + count_tokens(self.thinking_after)
        return Usage(input_tokens, cached_tokens, thinking, len(self.parts) - thinking)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def echo_thinking(conversation: Conversation) -> str:
    prompt = conversation.prompt
    return (
        f"This is turn {conversation.turn} of the conversation. "
        f"The latest message has {_plural(len(prompt.split()), 'word')} "
        f"and {_plural(len(prompt), 'character')}. "
        "I will repeat it back verbatim in a short markdown reply."
    )


def echo_text(conversation: Conversation) -> str:
    prompt = conversation.prompt
    text = (
        f"**Echo** (turn {conversation.turn})\n\nYou said:\n\n{prompt}\n\n"
        f"_{_plural(len(prompt.split()), 'word')}, {_plural(len(prompt), 'character')}._"
    )
    received = received_line(conversation)
    return f"{text}\n\n{received}" if received else text


def images_report(conversation: Conversation) -> str:
    """The `vision` model over HTTP: the images the conversation carried (a request has no frame
    stream, so each turn's image is one frame): "got 3 frames, last 41 KB JPEG"."""
    images = [(media_type, size) for message in conversation.messages for media_type, size in message.files if media_type.startswith("image/")]
    if not images:
        return "got no frames"
    media_type, size = images[-1]
    return f"got {_plural(len(images), 'frame')}, last {_size(size)} {_kind(media_type)}"


def received_line(conversation: Conversation) -> str:
    """What came with the prompt, so tests can prove what went over the wire:
    "_got a 12 KB PNG and a system prompt of 40 characters._" (empty when nothing did)."""
    last = next((m for m in reversed(conversation.messages) if m.role == "user"), None)
    things = [f"a {_size(size)} {_kind(media_type)}" for media_type, size in (last.files if last else ())]
    if conversation.system:
        things.append(f"a system prompt of {_plural(len(conversation.system), 'character')}")
    if not things:
        return ""
    listed = things[0] if len(things) == 1 else ", ".join(things[:-1]) + " and " + things[-1]
    return f"_got {listed}._"


def decoded_size(data: str) -> int:
    """Bytes a base64 string decodes to, without decoding it."""
    return len(data) * 3 // 4 - data[-2:].count("=") if data else 0


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{round(size / 1024)} KB"


def _kind(media_type: str) -> str:
    return {"application/pdf": "PDF", "image/jpeg": "JPEG"}.get(media_type, media_type.split("/")[-1].upper())


REFUSAL_TEXT = "I can't help with that. The loopback `refusal` model declines every request."
LENGTH_LIMIT_TOKENS = 8


def write_script(base: str, conversation: Conversation, *, thinking: bool, budget: int | None = None) -> Script:
    """The script of model `base` for this conversation; `thinking` asks for visible reasoning,
    `budget` is the thinking budget the request set (tokens; None: it set none)."""
    if base == "think":
        thought = think_text(DEFAULT_THINK_BUDGET if budget is None else budget) if thinking else ""
        return Script(thinking=thought, text=think_answer(conversation), thinking_chunk=THINK_CHUNK)
    if base == "lorem":
        thought = (
            f"Turn {conversation.turn} asks for the long document. "
            "I will write the seeded markdown text with headings, lists, code and a table."
        )
        return Script(thinking=thought if thinking else "", text=lorem_text())
    if base in SHAPES:
        return shape_script(base)
    if base == "tools":
        return tools_script(conversation, thinking=thinking)
    if base == "endless":
        return Script(text=lorem_text(), endless=True)
    if base == "vision":
        return Script(text=images_report(conversation))
    if base == "refusal":
        return Script(text=REFUSAL_TEXT, answer_kind="refusal", stop="refusal")
    if base == "redacted":
        return Script(text=echo_text(conversation), redacted=redacted_data(conversation))
    if base == "deliberate":
        first = f"First thought on turn {conversation.turn}: the message has {_plural(len(conversation.prompt.split()), 'word')}."
        second = "Second thought, after the hidden one: I will echo it."
        return Script(thinking=first, redacted=redacted_data(conversation, 1), thinking_after=second, text=echo_text(conversation))
    thought = echo_thinking(conversation) if thinking else ""
    if base == "fault-length":
        cut = "".join(tokenize(echo_text(conversation))[:LENGTH_LIMIT_TOKENS])
        return Script(thinking=thought, text=cut, stop="length")
    return Script(thinking=thought, text=echo_text(conversation))


DEFAULT_THINK_BUDGET = 1024  # the think model's budget when the request names none
THINK_CHUNK = 16  # thinking tokens per delta: 16K one-token frames would make the client's parsing the bottleneck


THINK_ANSWER_TOKENS = 300  # long enough to time the answer's rate after a bench's 200 tokens


def think_answer(conversation: Conversation) -> str:
    """The echo, then the lorem document's opening: an answer long enough to have a rate."""
    return echo_text(conversation) + "\n\n" + "".join(tokenize(lorem_text())[:THINK_ANSWER_TOKENS])


def think_text(tokens: int) -> str:
    """`tokens` loopback tokens of thinking, the same words every time."""
    return " ".join(_WORDS[index * 7 % len(_WORDS)] for index in range(tokens))


def tools_script(conversation: Conversation, *, thinking: bool) -> Script:
    """The `tools` model's next step: calls (stopping for their results) or the answer from them."""
    tools = conversation.tools
    reply = next_reply(tools.offered, conversation.prompt, tools.steps, first_number=tools.first_number, id_prefix=tools.id_prefix)
    stop = "tool_use" if reply.calls else "complete"
    return Script(thinking=reply.thinking if thinking else "", text=reply.text, calls=reply.calls, stop=stop)


REDACTED_SECRET = b"rtchat-loopback-redacted-thinking-v1"


def redacted_data(conversation: Conversation, position: int = 0) -> str:
    """Opaque bytes standing in for encrypted reasoning, verifiable when sent back.

    They bind the block's position in its message, so a client that drops,
    merges or reorders blocks is caught like the real API catches it."""
    nonce = hashlib.sha256(conversation.prompt.encode()).hexdigest()[:16]
    return base64.b64encode(f"{position}:{nonce}:{_redacted_mac(position, nonce)}".encode()).decode()


def redacted_is_valid(data: object, position: int) -> bool:
    if not isinstance(data, str):
        return False
    try:
        found, nonce, mac = base64.b64decode(data, validate=True).decode().split(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return found == str(position) and hmac.compare_digest(mac, _redacted_mac(position, nonce))


def _redacted_mac(position: int, nonce: str) -> str:
    return hmac.new(REDACTED_SECRET, f"{position}:{nonce}".encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- lorem

_WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris "
    "nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse "
    "cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui "
    "officia deserunt mollit anim id est laborum"
).split()
LOREM_SEED = 20240601
LOREM_MIN_TOKENS = 5_200


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(4, 7)))


def _python_block(number: int, rng: random.Random) -> str:
    factor = rng.randint(2, 9)
    return (
        "```python\n"
        f"def section_{number}(values: list[int]) -> int:\n"
        f'    """Weigh the values of section {number} by {factor}."""\n'
        "    total = 0\n"
        "    for value in values:\n"
        f"        total += value * {factor}\n"
        "    return total\n"
        "```"
    )


def _json_block(number: int, rng: random.Random) -> str:
    data = {
        "section": number,
        "title": " ".join(rng.choice(_WORDS) for _ in range(3)),
        "tags": [rng.choice(_WORDS) for _ in range(4)],
        "weights": [rng.randint(1, 99) for _ in range(5)],
        "published": number % 2 == 0,
    }
    return "```json\n" + json.dumps(data, indent=2) + "\n```"


def _table(rng: random.Random) -> str:
    rows = ["| Term | Count | Note |", "|------|------:|------|"]
    for _ in range(5):
        note = " ".join(rng.choice(_WORDS) for _ in range(3))
        rows.append(f"| {rng.choice(_WORDS)} | {rng.randint(1, 999)} | {note} |")
    return "\n".join(rows)


def _section(number: int, rng: random.Random) -> str:
    title = " ".join(rng.choice(_WORDS) for _ in range(3)).title()
    bullets = "\n".join(f"- {_sentence(rng)}" for _ in range(4))
    steps = "\n".join(f"{i}. {_sentence(rng)}" for i in range(1, 5))
    blocks = [
        f"## {number}. {title}",
        _paragraph(rng),
        bullets,
        _paragraph(rng),
        steps,
        _python_block(number, rng),
        f"### {number}.1 Data",
        _json_block(number, rng),
        _table(rng),
        _paragraph(rng),
    ]
    return "\n\n".join(blocks)


@functools.cache
def lorem_text() -> str:
    """The same long markdown document every time (seeded), at least 5,000 tokens."""
    rng = random.Random(LOREM_SEED)
    parts = ["# Lorem Ipsum: A Loopback Document", _paragraph(rng)]
    number = 0
    while count_tokens("\n\n".join(parts)) < LOREM_MIN_TOKENS:
        number += 1
        parts.append(_section(number, rng))
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- shapes

SHAPE_TABLE_ROWS = 10_000
SHAPE_CODE_LINES = 5_000
SHAPE_LINE_BYTES = 1_000_000


@functools.cache
def shape_script(base: str) -> Script:
    """The same pathological answer every time: the shape is the point, the words are filler."""
    return Script(text=shape_text(base))


def shape_text(base: str) -> str:
    if base == "shape-table":
        rows = ["| Row | Word | Note |", "|----:|------|------|"]
        rows += [f"| {n} | {_WORDS[n % len(_WORDS)]} | {_WORDS[n * 7 % len(_WORDS)]} {_WORDS[n * 13 % len(_WORDS)]} |" for n in range(1, SHAPE_TABLE_ROWS + 1)]
        return "Here is the table:\n\n" + "\n".join(rows) + "\n"
    if base == "shape-code":
        lines = [f"value_{n} = {n} * {n % 7 + 2}  # {_WORDS[n % len(_WORDS)]}" for n in range(1, SHAPE_CODE_LINES + 1)]
        return "Here is the code:\n\n```python\n" + "\n".join(lines) + "\n```\n"
    words = []
    size = 0
    n = 0
    while size < SHAPE_LINE_BYTES:
        word = _WORDS[n * 7 % len(_WORDS)]
        words.append(word)
        size += len(word) + 1
        n += 1
    return " ".join(words)

"""Recorded tool-call streams (tests/fixtures/tools, sources in tests/fixtures/README.md) and
what the tests do with them: decode, fold, answer each call, build the next request."""

from __future__ import annotations

import json
from pathlib import Path

from rtchat.answer import Answer, AnswerBuilder
from rtchat.conversation import ChatMessage, Conversation
from rtchat.events import Done, Event, ToolCallResult
from rtchat.wire import WIRES
from rtchat.wire.base import RequestOptions
from tests.support.streams import decode_chunks

TOOL_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tools"


def tool_fixture(name: str) -> Path:
    return TOOL_FIXTURES / name


def sse_frames(path: Path) -> list[dict]:
    """The JSON of each `data:` line, read without rtchat (for the SDKs' own readers)."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    return [json.loads(line[5:]) for block in text.split("\n\n") for line in block.split("\n") if line.startswith("data:")]


def decoded(wire: str, name: str) -> list[Event]:
    """The events of the recorded stream `name`, read whole."""
    return decode_chunks(wire, [tool_fixture(name).read_bytes()])


def decoded_at_every_split(wire: str, raw: bytes) -> list[Event]:
    """The events of `raw` read whole, checked equal when the bytes arrive in two pieces cut at
    every point (the transport may cut anywhere, a UTF-8 character and a CRLF included)."""
    whole = decode_chunks(wire, [raw])
    for cut in range(1, len(raw)):
        assert decode_chunks(wire, [raw[:cut], raw[cut:]]) == whole, f"cut at byte {cut}"
    return whole


def fold(events: list[Event], provider: str) -> AnswerBuilder:
    """A step's fold as HttpTurn keeps it: every event but the closing `Done`, which the turn
    holds back when the step asks for tools (the calls run, then the next step streams on)."""
    builder = AnswerBuilder(provider)
    for event in events:
        if not isinstance(event, Done):
            builder.apply(event)
    return builder


def answered(builder: AnswerBuilder, outputs: dict[str, tuple[str, bool]]) -> Answer:
    """The answer after each open call got its result (`outputs`: call id -> (text, is_error)),
    as the tool step puts them."""
    for call in builder.answer().tool_calls:
        output, is_error = outputs[call.name]
        builder.apply(ToolCallResult(call.id, call.name, output, is_error, status="error" if is_error else "ok"))
    return builder.answer()


def follow_up(wire: str, prompt: str, message: ChatMessage, options: RequestOptions, after: list[ChatMessage] | None = None) -> dict:
    """The body of the next request: the prompt, the answer so far, and any later messages."""
    conversation = Conversation([ChatMessage("user", prompt), message, *(after or [])])
    return WIRES[wire].build_request("https://example.invalid", "k", "m", conversation, options).body

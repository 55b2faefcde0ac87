"""An answer that called tools, as a turn's events: two parallel calls in one step (one denied),
a second step that calls again, then the words. For the history and export tests.

The arguments are odd on purpose (spacing, key order, non-ASCII, a line separator): they
must come back byte for byte, never re-serialised. Signatures ride on thinking and on a call.
"""

from __future__ import annotations

from collections.abc import Sequence

from rtchat.store import AnswerWriter, Store
from tests.support.answers import Feed

from rtchat.events import Done, Event, TextDelta, ThinkingDelta, ThinkingSignature, ToolCallDelta, ToolCallResult, Usage

FIRST_ARGUMENTS = '{"zone" :  "Asia/Tōkyō",\n "b": 1, "a": [1.50, 2e3]}'
SECOND_ARGUMENTS = '{"expression":"2 + 2\u2028"}'


def tool_answer_events() -> list[Event]:
    """Every event of the answer, Done included."""
    return [
        ThinkingDelta("Which zone? "),
        ThinkingDelta("Tokyo."),
        ThinkingSignature("sig-step-1=="),
        TextDelta("Let me look."),
        ToolCallDelta(0, "call_time_1", "time_now", FIRST_ARGUMENTS[:9], (("thought_signature", "c2lnbmF0dXJl/+=="),)),
        ToolCallDelta(0, None, None, FIRST_ARGUMENTS[9:]),
        ToolCallDelta(1, "call_calc_1", "calc", SECOND_ARGUMENTS, (("synthetic_id", "1"),)),
        Usage(input_tokens=10, output_tokens=5),
        ToolCallResult("call_time_1", "time_now", "2026-12-07T19:00:00+09:00 lighthouse", False, 3.25, "time", "ok"),
        ToolCallResult("call_calc_1", "calc", "The user declined this call.", True, None, "demo", "denied"),
        ToolCallDelta(0, "call_time_2", "time_now", '{"zone":"UTC"}'),
        ToolCallResult("call_time_2", "time_now", "10:00 UTC", False, 1.0, "time", "ok"),
        ThinkingDelta("Now answer."),
        ThinkingSignature("sig-final=="),
        TextDelta("It is 19:00 in Tokyo."),
        Usage(input_tokens=20, output_tokens=7),
        Done("complete"),
    ]


def store_tool_answer(store: Store, conversation_id: int, events: Sequence[Event] | None = None, provider: str = "p") -> AnswerWriter:
    """Answer the conversation's last prompt with `events` (default: `tool_answer_events()`)
    through a real writer, as a turn does; returns the writer once all is written."""
    writer = store.begin_answer(conversation_id, "m", provider=provider)
    feed = Feed(writer)
    for event in tool_answer_events() if events is None else events:
        feed(event)
    assert writer.wait() and writer.failed is None
    return writer

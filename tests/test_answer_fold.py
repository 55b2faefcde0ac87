"""One answer: what is shown, what is stored and what is sent back are the same blocks in the same order.

The property drives the real fold (rtchat.answer), the real history writer into
a real SQLite file (handed the fold's answer at arbitrary points of the stream, as
the TurnService does), and the real Anthropic request builder, for any event
sequence. What the screen shows is checked in test_answer_on_screen.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rtchat.answer import AnswerBuilder, fold
from rtchat.events import (
    Done,
    Error,
    RedactedThinking,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    ToolCallDelta,
    Transcript,
    Usage,
)
from rtchat.store import Store
from tests.support.answers import sent_blocks

words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
content_events = st.one_of(
    words.map(TextDelta),
    words.map(ThinkingDelta),
    words.map(ThinkingSignature),
    words.map(RedactedThinking),
    st.builds(ToolCallDelta, st.integers(0, 2), st.none() | words, st.none() | words, words),
    st.builds(Transcript, st.just("assistant"), words, st.booleans()),
    st.builds(Usage, st.none() | st.integers(0, 10_000), st.none() | st.integers(0, 10_000)),
)
endings = st.sampled_from(["complete", "interrupted", "length", "error"]).map(Done)


@settings(max_examples=150, deadline=None)
@given(events=st.lists(content_events, max_size=25), ending=endings, flush_points=st.sets(st.integers(0, 25)))
def test_shown_stored_and_sent_back_are_the_same_blocks(tmp_path_factory, events, ending, flush_points):
    events = [*events, ending]
    shown = fold(events, provider="anthropic")

    now = [0.0]
    store = Store.open(tmp_path_factory.mktemp("db") / "history.db", flush_interval=1.0, clock=lambda: now[0])
    try:
        conv = store.create_conversation("anthropic/m", "sse")
        store.add_user_message(conv, "q")
        writer = store.begin_answer(conv, "anthropic/m", provider="anthropic")
        builder = AnswerBuilder("anthropic")
        for index, event in enumerate(events):
            if index in flush_points:
                now[0] += 2.0  # the writer's flush interval has passed: this event is written at once
            builder.apply(event)
            writer.update(builder.answer, final=isinstance(event, Done))  # as the TurnService hands it over
            if index in flush_points and not builder.finished:
                writer.wait()  # the flush is written on the store's writer thread
                stored_so_far = store.load_conversation(conv)[1][-1]
                assert stored_so_far.text == builder.answer().text
                assert list(stored_so_far.thinking) == list(builder.answer().thinking)
        writer.close()
        writer.wait()
        stored = store.to_conversation(conv).messages
    finally:
        store.close()

    message = shown.message()
    if message is None:
        assert len(stored) == 1  # only the prompt: nothing to send back
        return
    stored_message = stored[-1]
    assert (stored_message.role, stored_message.text) == ("assistant", message.text)
    assert stored_message.thinking == message.thinking == list(shown.thinking)
    expected = []
    for block in shown.thinking:
        if block.redacted is not None:
            expected.append({"type": "redacted_thinking", "data": block.redacted})
        elif block.signature:
            expected.append({"type": "thinking", "thinking": block.text, "signature": block.signature})
    expected.append({"type": "text", "text": message.text})
    assert sent_blocks(message) == expected == sent_blocks(stored_message)


def test_two_signed_blocks_and_a_redacted_one_stay_apart():
    """The case the app used to merge: [thinking, sig 1, redacted, thinking, sig 2, text]."""
    events = [ThinkingDelta("first "), ThinkingDelta("thought"), ThinkingSignature("sig-1"), RedactedThinking("opaque"), ThinkingDelta("second"), ThinkingSignature("sig-2"), TextDelta("answer"), Done("complete")]
    answer = fold(events, provider="anthropic")
    assert [(b.text, b.signature, b.redacted) for b in answer.thinking] == [
        ("first thought", "sig-1", None),
        ("", None, "opaque"),
        ("second", "sig-2", None),
    ]
    assert sent_blocks(answer.message()) == [
        {"type": "thinking", "thinking": "first thought", "signature": "sig-1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "thinking", "thinking": "second", "signature": "sig-2"},
        {"type": "text", "text": "answer"},
    ]


@settings(max_examples=150, deadline=None)
@given(events=st.lists(content_events, max_size=25), ending=endings, split=st.integers(0, 26))
def test_the_answer_as_received_is_the_shown_fold_carried_on_and_leaves_it_as_it_was(events, ending, split):
    """A socket turn's server holds what was shown plus what still waits unshown: one fold, read further."""
    events = [*events, ending]
    shown, rest = events[:split], events[split:]
    builder = AnswerBuilder("anthropic")
    for event in shown:
        builder.apply(event)
    before = builder.answer()
    assert builder.extended(rest) == fold(events, provider="anthropic")
    assert builder.answer() == before


def test_nothing_after_done_changes_the_answer():
    builder = AnswerBuilder()
    for event in (TextDelta("kept"), Done("interrupted"), TextDelta(" late"), Error("server", "late")):
        builder.apply(event)
    answer = builder.answer()
    assert (answer.text, answer.reason, answer.error, answer.status) == ("kept", "interrupted", None, "interrupted")


def test_tool_call_fragments_assemble_by_index():
    answer = fold([ToolCallDelta(1, "b", "second", '{"x"'), ToolCallDelta(0, "a", "first", "{}"), ToolCallDelta(1, arguments=": 1}"), Done("tool_use")])
    assert [(c.id, c.name, c.arguments) for c in answer.tool_calls] == [("a", "first", "{}"), ("b", "second", '{"x": 1}')]
    assert answer.status == "complete"


def test_usage_frames_merge_later_counts_over_earlier():
    answer = fold([Usage(input_tokens=10, output_tokens=1), Usage(output_tokens=40, cached_tokens=3), Done("complete")])
    assert (answer.usage.input_tokens, answer.usage.output_tokens, answer.usage.cached_tokens) == (10, 40, 3)


def test_odd_usage_counts_read_as_not_said():
    """NaN, Infinity, negatives and strings from a server never become a figure (status line "in nan out inf")."""
    usage = Usage(float("nan"), float("inf"), -1, 3.0, "12")  # type: ignore[arg-type]
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens, usage.cache_write_tokens) == (None, None, None, 3, None)


def test_a_tool_result_closes_the_step_into_a_round_and_the_next_step_streams_after_it():
    from rtchat.events import ToolCallResult

    events = [
        ThinkingDelta("need the time"), ThinkingSignature("sig-1"), TextDelta("Let me check."),
        ToolCallDelta(0, "call_1", "time__now", '{"zone":', (("thought_signature", "abc"),)), ToolCallDelta(0, arguments=' "UTC"}'),
        Usage(input_tokens=10, output_tokens=5),
        ToolCallResult("call_1", "time__now", "12:00", ms=3.5, server="time"),
        TextDelta("It is noon."), Usage(input_tokens=20, output_tokens=4), Done("complete"),
    ]
    answer = fold(events, "anthropic")
    assert answer.text == "It is noon." and answer.tool_calls == ()
    (step,) = answer.rounds
    assert step.text == "Let me check." and [b.signature for b in step.thinking] == ["sig-1"]
    assert [(c.id, c.name, c.arguments, c.extra) for c in step.calls] == [("call_1", "time__now", '{"zone": "UTC"}', {"thought_signature": "abc"})]
    assert [(r.call_id, r.output, r.ms) for r in step.results] == [("call_1", "12:00", 3.5)]
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (30, 9)  # each step is a request: counts add up
    message = answer.message()
    assert message.text == "It is noon." and message.rounds[0].calls[0].parsed() == {"zone": "UTC"}


def test_the_context_never_holds_a_call_without_its_result():
    from rtchat.events import ToolCallResult

    answer = fold([
        ToolCallDelta(0, "a", "f", "{}"), ToolCallDelta(1, "b", "g", "{}"),
        ToolCallResult("a", "f", "done"),
        ToolCallDelta(0, "c", "h", "{}"),  # the next step's call, interrupted before it ran
        Done("interrupted"),
    ])
    message = answer.message()
    (step,) = message.rounds
    assert [r.call_id for r in step.results] == ["a", "b"] and step.results[1].status == "cancelled" and step.results[1].is_error
    assert answer.tool_calls[0].id == "c"  # kept in the answer (shown, stored) but not sent back

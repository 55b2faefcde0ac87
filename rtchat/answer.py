"""The one fold from events to an answer.

Everything that needs "the answer so far" (the transcript pane, the history
writer, `rtchat ask`, socket turns keeping their context, voice) feeds events
to an `AnswerBuilder` and reads its `Answer`. Nothing else folds events, so
what is shown, what is stored and what is sent back in the next request are the
same blocks in the same order by construction.

Block rules (Anthropic's, which are the strictest): a thinking block ends when
its signature arrives; a redacted block arrives whole and stands alone; each
block keeps its own signature. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rtchat.attachments import Attachment
from rtchat.conversation import ChatMessage, ThinkingBlock, ToolCall, ToolResult, ToolRound, has_words
from rtchat.events import (
    Cost,
    Done,
    DoneReason,
    Error,
    Event,
    Metrics,
    RedactedThinking,
    ServerTimings,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    ToolCallDelta,
    ToolCallResult,
    Transcript,
    Usage,
)

# Done reasons that mean "the model finished its answer" (length and refusal are still answers).
FINISHED_REASONS = frozenset({"complete", "length", "refusal", "tool_use", "pause"})


INTERRUPTED_CALL = "The user interrupted this call before it returned a result."


@dataclass(frozen=True, slots=True)
class Answer:
    """An assistant answer as far as it has arrived."""

    text: str = ""
    thinking: tuple[ThinkingBlock, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()  # the calls of the step still open (no result yet)
    rounds: tuple[ToolRound, ...] = ()  # the steps that called tools and got results, before `thinking`/`text`
    transcript: str = ""  # what the model said aloud
    user_transcript: str | None = None  # what the user said, when the turn was spoken
    usage: Usage | None = None
    cost: Cost | None = None
    server_timings: ServerTimings | None = None
    metrics: Metrics | None = None
    error: Error | None = None
    reason: DoneReason | None = None  # None while streaming

    @property
    def spoken_text(self) -> str:
        """The words of the answer: its text, or for a spoken answer its transcript."""
        return self.text or self.transcript

    @property
    def status(self) -> str:
        """complete | streaming | interrupted | error: how the history files this answer."""
        if self.reason is None:
            return "streaming"
        if self.reason == "interrupted":
            return "interrupted"
        if self.reason in FINISHED_REASONS:
            return "complete"
        return "error"

    @property
    def tool_time_ms(self) -> float:
        """The tools' own time in this answer (the status line's "tools 2 · 340 ms")."""
        return sum(result.ms or 0.0 for step in self.rounds for result in step.results)

    @property
    def tool_results(self) -> tuple[ToolResult, ...]:
        return tuple(result for step in self.rounds for result in step.results)

    def message(self) -> ChatMessage | None:
        """The context entry sent back to the provider: its tool steps, then the words and every
        thinking block, in order.

        None when neither a word nor a tool step arrived (an error, or an interrupt while it
        was still thinking): providers reject empty turns, and a half-thought without its
        answer is no use to the model. Calls of a step that got no result (the user stopped
        the turn before they were answered) are left out, and a call of a closed step that got
        none is answered "interrupted": every provider rejects a call without its result."""
        words = self.spoken_text
        rounds = [_answered(step) for step in self.rounds]
        if not has_words(words):
            if not rounds:
                return None
            return ChatMessage("assistant", "", rounds=rounds)
        return ChatMessage("assistant", words, [replace(block) for block in self.thinking], rounds=rounds)


def _answered(step: ToolRound) -> ToolRound:
    """A copy of `step` in which every call has its result (an interrupted one says so)."""
    answered = {result.call_id for result in step.results}
    copy = _copy_round(step)
    copy.results += [ToolResult(call.id, call.name, INTERRUPTED_CALL, is_error=True, status="cancelled") for call in step.calls if call.id not in answered]
    return copy


@dataclass(slots=True)
class _OpenBlock:
    parts: list[str] = field(default_factory=list)
    signature: str | None = None
    redacted: str | None = None

    @property
    def closed(self) -> bool:
        return self.signature is not None or self.redacted is not None

    def freeze(self, provider: str | None) -> ThinkingBlock:
        return ThinkingBlock("".join(self.parts), self.signature, self.redacted, provider)


class AnswerBuilder:
    """Folds a turn's events into an `Answer`; `apply` says whether the answer changed."""

    def __init__(self, provider: str | None = None) -> None:
        self.provider = provider  # stamped on thinking blocks: they go back only to their maker
        self._text: list[str] = []
        self._blocks: list[_OpenBlock] = []
        self._tools: dict[int, ToolCall] = {}
        self._rounds: list[ToolRound] = []
        self._banked_usage: Usage | None = None  # earlier steps' usage: each step is a request of its own
        self._banked_cost: Cost | None = None
        self._transcript: list[str] = []
        self._user_transcript: list[str] | None = None
        self._usage: Usage | None = None
        self._cost: Cost | None = None
        self._timings: ServerTimings | None = None
        self._metrics: Metrics | None = None
        self._error: Error | None = None
        self._reason: DoneReason | None = None

    @property
    def text(self) -> str:
        if len(self._text) > 1:
            self._text[:] = ["".join(self._text)]  # later joins stay cheap on long answers
        return self._text[0] if self._text else ""

    @property
    def finished(self) -> bool:
        return self._reason is not None

    def apply(self, event: Event) -> bool:
        """Take one event; events after Done are ignored (nothing follows the end)."""
        if self._reason is not None:
            return False
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, ThinkingDelta):
            self._thinking_block().parts.append(event.text)
        elif isinstance(event, ThinkingSignature):
            self._thinking_block().signature = event.signature
        elif isinstance(event, RedactedThinking):
            self._blocks.append(_OpenBlock(redacted=event.data))
        elif isinstance(event, ToolCallDelta):
            self._add_tool_fragment(event)
        elif isinstance(event, ToolCallResult):
            return self._add_tool_result(event)
        elif isinstance(event, Transcript):
            self._add_transcript(event)
        elif isinstance(event, Usage):
            self._usage = _merge_usage(self._usage, event)
        elif isinstance(event, Cost):
            self._cost = event if self._cost is None or event.source == "server" or self._cost.source != "server" else self._cost
        elif isinstance(event, ServerTimings):
            self._timings = event
        elif isinstance(event, Metrics):
            self._metrics = event
        elif isinstance(event, Error):
            self._error = event
        elif isinstance(event, Done):
            self._reason = event.reason
        else:
            return False
        return True

    def _thinking_block(self) -> _OpenBlock:
        if not self._blocks or self._blocks[-1].closed:
            self._blocks.append(_OpenBlock())
        return self._blocks[-1]

    def _add_tool_fragment(self, event: ToolCallDelta) -> None:
        call = self._tools.get(event.index)
        if call is None:
            call = self._tools[event.index] = ToolCall(provider=self.provider)
        call.id = call.id or event.id or ""
        call.name = call.name or event.name or ""
        call.arguments += event.arguments
        call.extra.update(event.extra)

    def _add_tool_result(self, event: ToolCallResult) -> bool:
        """A result closes the open step (its thinking, text and calls become a round) and
        joins that round; what streams after it starts the next step."""
        if self._tools:
            self._close_round()
        if not self._rounds:
            return False  # a result for no call: nothing to attach it to
        self._rounds[-1].results.append(tool_result_of(event))
        return True

    def _close_round(self) -> None:
        blocks = [block.freeze(self.provider) for block in self._blocks]
        calls = [self._tools[i] for i in sorted(self._tools)]
        self._rounds.append(ToolRound(blocks, self.text, calls, []))
        self._text, self._blocks, self._tools = [], [], {}
        self._banked_usage = _add_usage(self._banked_usage, self._usage)
        self._banked_cost = _add_cost(self._banked_cost, self._cost)
        self._usage = self._cost = None

    def _add_transcript(self, event: Transcript) -> None:
        if event.role == "user":
            if self._user_transcript is None:
                self._user_transcript = []
            parts = self._user_transcript
        else:
            parts = self._transcript
        so_far = "".join(parts)
        if event.final and event.text.startswith(so_far):
            parts[:] = [event.text]  # a final transcript repeats the whole text
        else:
            parts.append(event.text)

    def extended(self, events) -> Answer:
        """The answer this fold makes with `events` folded on after it; this fold is left as it is.

        For the answer as received when only part of it was shown (a socket turn's server
        holds what it sent, while the rest still waits in the turn's queue)."""
        more = AnswerBuilder(self.provider)
        more._text = [self.text]
        more._blocks = [_OpenBlock(list(block.parts), block.signature, block.redacted) for block in self._blocks]
        more._tools = {i: replace(call, extra=dict(call.extra)) for i, call in self._tools.items()}
        more._rounds = [_copy_round(step) for step in self._rounds]
        more._banked_usage, more._banked_cost = self._banked_usage, self._banked_cost
        more._transcript = list(self._transcript)
        more._user_transcript = None if self._user_transcript is None else list(self._user_transcript)
        more._usage, more._cost, more._timings, more._metrics, more._error, more._reason = (
            self._usage, self._cost, self._timings, self._metrics, self._error, self._reason)
        for event in events:
            more.apply(event)
        return more.answer()

    def answer(self) -> Answer:
        return Answer(
            text=self.text,
            thinking=tuple(block.freeze(self.provider) for block in self._blocks),
            tool_calls=tuple(replace(self._tools[i], extra=dict(self._tools[i].extra)) for i in sorted(self._tools)),
            rounds=tuple(_copy_round(step) for step in self._rounds),
            transcript="".join(self._transcript),
            user_transcript=None if self._user_transcript is None else "".join(self._user_transcript),
            usage=_add_usage(self._banked_usage, self._usage),
            cost=_add_cost(self._banked_cost, self._cost),
            server_timings=self._timings,
            metrics=self._metrics,
            error=self._error,
            reason=self._reason,
        )


def _merge_usage(old: Usage | None, new: Usage) -> Usage:
    """Later counts win; a count the newer frame does not give is kept from the older one."""
    if old is None:
        return new
    return Usage(
        input_tokens=new.input_tokens if new.input_tokens is not None else old.input_tokens,
        output_tokens=new.output_tokens if new.output_tokens is not None else old.output_tokens,
        cached_tokens=new.cached_tokens if new.cached_tokens is not None else old.cached_tokens,
        reasoning_tokens=new.reasoning_tokens if new.reasoning_tokens is not None else old.reasoning_tokens,
        cache_write_tokens=new.cache_write_tokens if new.cache_write_tokens is not None else old.cache_write_tokens,
    )


def _copy_round(step: ToolRound) -> ToolRound:
    return ToolRound([replace(b) for b in step.thinking], step.text, [replace(c, extra=dict(c.extra)) for c in step.calls], [replace(r) for r in step.results])


def _add_usage(old: Usage | None, new: Usage | None) -> Usage | None:
    """Two steps' usage added up (a count either step did not say stays unsaid only if both did not)."""
    if old is None or new is None:
        return new if old is None else old

    def plus(a: int | None, b: int | None) -> int | None:
        return b if a is None else a if b is None else a + b

    return Usage(
        plus(old.input_tokens, new.input_tokens),
        plus(old.output_tokens, new.output_tokens),
        plus(old.cached_tokens, new.cached_tokens),
        plus(old.reasoning_tokens, new.reasoning_tokens),
        plus(old.cache_write_tokens, new.cache_write_tokens),
    )


def _add_cost(old: Cost | None, new: Cost | None) -> Cost | None:
    """Two steps' cost added up; "server" only when every step's came from the server."""
    if old is None or new is None:
        return new if old is None else old
    saved = None if old.saved_usd is None and new.saved_usd is None else (old.saved_usd or 0.0) + (new.saved_usd or 0.0)
    source = "server" if old.source == new.source == "server" else "table"
    return Cost(old.usd + new.usd, source, saved)


def fold(events, provider: str | None = None) -> Answer:
    """The answer a whole event sequence makes."""
    builder = AnswerBuilder(provider)
    for event in events:
        builder.apply(event)
    return builder.answer()


def tool_result_of(event: ToolCallResult) -> ToolResult:
    """A result event as the answer keeps it: its images become attachments of the result."""
    images = [Attachment(image.name, image.media_type, image.data) for image in event.images]
    return ToolResult(event.id, event.name, event.output, event.is_error, event.status, event.ms, event.server, images)

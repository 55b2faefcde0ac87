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

from rtchat.conversation import ChatMessage, ThinkingBlock, has_words
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
    Transcript,
    Usage,
)

# Done reasons that mean "the model finished its answer" (length and refusal are still answers).
FINISHED_REASONS = frozenset({"complete", "length", "refusal", "tool_use", "pause"})


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call the model asked for, assembled from its fragments (shown, never run)."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """An assistant answer as far as it has arrived."""

    text: str = ""
    thinking: tuple[ThinkingBlock, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
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

    def message(self) -> ChatMessage | None:
        """The context entry sent back to the provider: the words and every thinking block, in order.

        None when no word of the answer arrived (an error, or an interrupt while it was
        still thinking): providers reject empty turns, and a half-thought without its
        answer is no use to the model."""
        words = self.spoken_text
        if not has_words(words):
            return None
        return ChatMessage("assistant", words, [replace(block) for block in self.thinking])


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
        call = self._tools.get(event.index) or ToolCall(event.index)
        self._tools[event.index] = ToolCall(
            event.index,
            call.id or event.id,
            call.name or event.name,
            call.arguments + event.arguments,
        )

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
        more._tools = dict(self._tools)
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
            tool_calls=tuple(self._tools[i] for i in sorted(self._tools)),
            transcript="".join(self._transcript),
            user_transcript=None if self._user_transcript is None else "".join(self._user_transcript),
            usage=self._usage,
            cost=self._cost,
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


def fold(events, provider: str | None = None) -> Answer:
    """The answer a whole event sequence makes."""
    builder = AnswerBuilder(provider)
    for event in events:
        builder.apply(event)
    return builder.answer()

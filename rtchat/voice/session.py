"""A live voice conversation: the object the TUI binds to.

It wires one capture path, one link (WebRTC or WebSocket) and one speaker,
runs the push-to-talk machine (or, hands-free, follows the server's voice
activity detection), and turns everything the server says into
rtchat events (Transcript, TextDelta, AudioChunk, Usage, Done) on `events()`;
each exchange's share of them runs through a `SpokenTurn` (turns/spoken.py), whose
clock (the exchange's own, `VoiceTurn.clock`) makes the figures, so the store records
a voice turn like any other and TTFT means what it means everywhere.

For the UI: `state` (idle / listening / thinking / speaking), `level_dbfs`
(input meter), `connection` (new / connecting / connected / failed / closed)
and `latency` (ms figures of the last turn), each with a callback
(`on_state`, `on_level`, `on_connection`).

With a tool runner (`tools`, the same `ToolRunner` a typed turn gets), the tools are offered
at session set-up, and a response that ends asking for calls does not end the exchange: the
calls are approved and run while the "let me check" audio still plays, their outputs go back
on the same link with one `response.create`, and the next response speaks into the same turn.
A barge-in (or Ctrl-C) while a call runs cancels it at its server and ends the turn; a result
that comes back after that is dropped, never sent into the next response. Nothing spoken ever
approves a call: approval is the Approver's (keys in the app, `--approve-tools` for ask).

The tools are offered where the link takes them: Realtime in a `session.update` after the
session's own, Gemini Live in its `setup` (so before `connect`); `set_tools` applies a /tools
change to the open session, or says the link needs a new one (Live). A call the server
withdraws (Live's `toolCallCancellation`, when the user cut in) is cancelled like a barge-in.

Over WebRTC the answer's audio outlives `response.done` (the server streams
it in real time on the track), so a turn ends when the server says its audio
buffer stopped and our own playback has drained. The stop of a tool step's own audio
("let me check") is not that end, even when it arrives after the outputs were sent: the
wire drops it (`RealtimeDecoder` knows which responses asked for calls).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rtchat.audio.capture import Capture
from rtchat.audio.jitter import JitterBuffer
from rtchat.audio.pcm import SPEECH_THRESHOLD_DBFS, level_dbfs, to_pcm16
from rtchat.audio.resample import Resampler
from rtchat.answer import AnswerBuilder
from rtchat.conversation import ToolSpec
from rtchat.events import ErrorKind, ToolCallResult, ToolCallDelta, AnswerAudioStarted, AnswerAudioStopped, AudioChunk, Done, Error, Event, Notice, SpeechStarted, SpeechStopped, VOICE_SIGNALS
from rtchat.metrics import TurnClock
from rtchat.transports.websocket import ConnectionState
from rtchat.turns.tool_steps import ToolRunner, step_limit_notice
from rtchat.voice.ptt import Action, PushToTalk, VoiceState

MIN_TURN_S = 0.1  # the server refuses a commit of less than 100 ms
SESSION_CREATED_WAIT_S = 5.0  # a WebRTC call with no session.created by then is spoken to in GA
LOUD_DBFS = -60.0  # a received frame above this is the answer speaking, not line silence
LOUD_PEAK = 10 ** (LOUD_DBFS / 20)
QUIET_END_S = 0.25  # after the server's audio stopped: this long without sound ends the turn
NO_AUDIO_GRACE_S = 0.5  # an audio answer that never started sounding
MAX_TAIL_S = 60.0
_CLOSED = object()
SHOWN_AS = {ConnectionState.OPEN: "connected"}  # the voice status line's word for an open link


@dataclass
class VoiceTurn:
    """Progress of one spoken exchange (press to send -> answer over); its figures are on
    `clock`, the one clock the exchange's `SpokenTurn` also reads."""

    clock: TurnClock = field(default_factory=TurnClock)
    audio_expected: bool = False  # output_audio_buffer.started, or audio in the events
    audio_received: bool = False  # the answer's audio began arriving
    audio_stopped: bool = False  # output_audio_buffer.stopped / .cleared
    last_loud_at: float = 0.0
    response_done: Done | None = None
    ended: bool = False
    resampler: Resampler | None = None  # the answer's audio is one stream: resampled with state, no clicks at joins
    calls: AnswerBuilder = field(default_factory=AnswerBuilder)  # the exchange's tool calls and results, folded
    tool_task: asyncio.Task | None = None  # the step's calls being approved and run
    steps: int = 0

    def __post_init__(self) -> None:
        self.clock.speech_ended_at = self.clock.started  # until the session knows better


class VoiceSession:
    def __init__(
        self,
        link: Any,
        capture: Capture | None,
        speaker_factory: Callable[[JitterBuffer, Callable[[int, float], None]], Any],
        *,
        modalities: tuple[str, ...] = ("audio",),
        instructions: str | None = None,
        transcribe: bool = True,
        jitter_ms: float = 20.0,
        on_state: Callable[[VoiceState], None] | None = None,
        on_level: Callable[[float], None] | None = None,
        on_connection: Callable[[str], None] | None = None,
        hands_free: bool = False,
        vad: str = "server_vad",
        on_turn: Callable[[], None] | None = None,
        tools: ToolRunner | None = None,
    ) -> None:
        self.tools = tools
        self.offered: tuple[ToolSpec, ...] = ()  # what the session was told it may call
        self.link = link
        self.capture = capture
        self.modalities = list(modalities)
        self.instructions = instructions
        self.transcribe = transcribe
        self.on_state = on_state or (lambda state: None)
        self.on_level = on_level or (lambda level: None)
        self.on_connection = on_connection or (lambda state: None)
        self.hands_free = hands_free
        self.vad = vad  # the server's turn detection when hands-free: server_vad or semantic_vad
        self.on_turn = on_turn or (lambda: None)  # hands-free: the server heard the end of speech, a turn began
        self.speech_seconds = 0.0  # hands-free: the length of the last speech the server heard
        self._speech_start_ms = 0
        self.truncated_at_ms: int | None = None  # the last barge-in: how much of the answer had been heard
        self.ptt = PushToTalk()
        self._announced = self.ptt.state
        self._session_seen = asyncio.Event()  # the server announced its session: its dialect is known
        self.buffer = JitterBuffer(link.output_rate, prefill_ms=jitter_ms)
        self.speaker = speaker_factory(self.buffer, self._played_threadsafe)
        self.connection = "new"
        self.latency: dict[str, float | None] = {"connect_ms": None, "first_audio_ms": None}  # for the status line, from the turn's clock
        self.turn: VoiceTurn | None = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finisher: asyncio.Task | None = None
        self._finishing: VoiceTurn | None = None  # the turn the finisher waits on
        self._spoken: asyncio.Event = asyncio.Event()
        link.on_event = self._on_server_event
        link.on_audio = self._on_remote_audio
        link.on_state = self._on_connection
        if capture is not None:
            capture.add_sink(link.input_rate, link.push_audio)
            capture.on_level = self._on_level

    # ---------------------------------------------------------------- what the UI reads

    @property
    def state(self) -> VoiceState:
        return self.ptt.state

    @property
    def level_dbfs(self) -> float:
        return self.capture.level_dbfs if self.capture is not None else -100.0

    async def events(self) -> AsyncIterator[Event]:
        while True:
            item = await self._queue.get()
            if item is _CLOSED:
                return
            yield item

    def pending(self) -> list[Event]:
        """What is queued on `events()` now, taken without waiting (for a caller that will not read on)."""
        events = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not _CLOSED:
                events.append(item)
        return events

    # ---------------------------------------------------------------- lifecycle

    async def start(self, open_microphone: bool = True) -> None:
        """Connect, configure push-to-talk, start playback, and open the microphone once."""
        self._loop = asyncio.get_running_loop()
        if self.tools is not None:
            self.offered = await self.tools.offer(self._emit)
        if self.offered and self.link.tools_at_setup:
            self.link.offer_tools(self.offered)  # Gemini Live: declared in the setup `connect` sends
        await self.link.connect()
        self.latency["connect_ms"] = self.link.connect_ms
        if self.link.dialect is None:
            await self._announced_dialect()
        self.link.voice_setup(self.modalities, self.instructions, self.transcribe, self.vad if self.hands_free else None)
        if self.offered and not self.link.tools_at_setup:
            self.link.offer_tools(self.offered)  # Realtime: a `session.update` after the session's own
        self.speaker.start()
        if self.capture is not None and open_microphone:
            self.capture.start()
            if self.hands_free:
                self.capture.open_gate()

    async def set_tools(self, tools: ToolRunner | None) -> bool:
        """/tools changed mid-session: the open session is told the new offer at once (Realtime:
        a `session.update`; none left: `tools: []`). False: the link fixes its tools at setup
        (Gemini Live), so the caller opens a new session, seeded with the conversation."""
        offered = await tools.offer(self._emit) if tools is not None else ()
        if offered != self.offered and self.link.tools_at_setup:
            return False
        self.tools = tools
        if offered != self.offered:
            self.offered = offered
            self.link.offer_tools(offered)
        return True

    async def _announced_dialect(self) -> None:
        """A WebRTC call learns the dialect from the session the server announces: wait for it (bounded;
        the protocol speaks GA when none came)."""
        try:
            await asyncio.wait_for(self._session_seen.wait(), SESSION_CREATED_WAIT_S)
        except (TimeoutError, asyncio.TimeoutError):
            pass

    async def close(self) -> None:
        if self._finisher is not None:
            self._finisher.cancel()
        if self.turn is not None and self.turn.tool_task is not None:
            self.turn.tool_task.cancel()
        if self.capture is not None:
            self.capture.stop()
        self.speaker.stop()
        await self.link.close()
        self._queue.put_nowait(_CLOSED)

    # ---------------------------------------------------------------- the user's keys

    async def toggle(self) -> None:
        """The push-to-talk key: start talking (barging in if needed), or send.
        Hands-free, the server decides when speech starts and stops: the key only stops an answer."""
        if self.hands_free:
            await self._run(self.ptt.interrupt() if self.ptt.answering else [])
            return
        await self._run(self.ptt.toggle())

    async def set_hands_free(self, on: bool) -> None:
        """Switch between push-to-talk and the server's voice activity detection, mid-session."""
        if on == self.hands_free:
            return
        self.hands_free = on
        if self.ptt.state is VoiceState.LISTENING:
            await self._run(self.ptt.abandon())  # half-said push-to-talk speech is dropped, not sent
        self.link.set_vad(self.vad if on else None)
        if self.capture is not None:
            if on:
                self.capture.open_gate()
            else:
                self.capture.close_gate()
                self.link.drop_input()
                self.link.clear_input()
        self._announce()

    async def start_talking(self) -> None:
        if self.state is not VoiceState.LISTENING:
            await self.toggle()

    async def stop_talking(self) -> None:
        if self.state is VoiceState.LISTENING:
            await self.toggle()

    async def interrupt(self) -> None:
        """Ctrl-C: stop the spoken answer exactly as a barge-in does."""
        await self._run(self.ptt.interrupt())

    async def wait_answer(self) -> None:
        """Until the current turn has ended (its Done is queued)."""
        while self.turn is not None and not self.turn.ended:
            self._spoken.clear()
            await self._spoken.wait()

    # ---------------------------------------------------------------- actions

    async def _run(self, actions: list[Action]) -> None:
        for action in actions:
            if action is Action.BARGE_IN:
                self._barge_in()
            elif action is Action.CLEAR_INPUT:
                self.link.drop_input()
                self.link.speech_begins()
            elif action is Action.OPEN_GATE:
                if self.capture is not None:
                    self.capture.open_gate()
            elif action is Action.CLOSE_GATE:
                if self.capture is not None:
                    self.capture.close_gate()
            elif action is Action.COMMIT:
                await self._commit()
        self._announce()

    async def _commit(self) -> None:
        released = time.perf_counter()
        spoken = self.capture.sent_seconds if self.capture is not None else 0.0
        if spoken < MIN_TURN_S:
            await self._run(self.ptt.abandon())
            self._emit(Notice(f"nothing was said ({spoken * 1000:.0f} ms of audio); press the talk key, speak, then press it again"))
            return
        if self.capture is not None and self.capture.speech_seconds < MIN_TURN_S:
            await self._run(self.ptt.abandon())  # only silence: a "[0.0 s of audio]" turn would be sent and billed
            self._emit(Notice(f"nothing was heard ({spoken:.1f} s of silence: the microphone stayed under {SPEECH_THRESHOLD_DBFS:.0f} dBFS); check the microphone, speak, then press the talk key again"))
            return
        self.turn = VoiceTurn(TurnClock(started=released))
        self.buffer.flush()
        self.buffer.restart_count()
        drained_at = await self.link.flush_input()
        # A file pushes its audio faster than real time: the user "lets go" when it has all left.
        self.turn.clock.started = self.turn.clock.speech_ended_at = max(released, drained_at)
        self.link.speech_ends()

    def _barge_in(self) -> None:
        """Stop the answer where the user stopped hearing it: local playback is flushed first,
        so the milliseconds heard are final when the link tells the server."""
        self.buffer.flush()
        turn = self.turn
        heard = self.buffer.played_ms if turn is not None and turn.clock.first_audio_at is not None else None
        if heard is not None:
            self.truncated_at_ms = heard
        self.link.barge_in(heard)
        self._end_turn(Done("interrupted"))

    # ---------------------------------------------------------------- from the server

    def _on_server_event(self, event: Event) -> None:
        """One decoded event from the link: the voice signals steer the session, the rest is the answer."""
        self._steer(event)
        self._stop_withdrawn_calls()

    def _stop_withdrawn_calls(self) -> None:
        """The server withdrew calls that are being approved or run (Live's `toolCallCancellation`):
        they are cancelled at their servers and the answer ends interrupted; their cards say so."""
        turn = self.turn
        if turn is None or turn.ended or turn.tool_task is None or turn.tool_task.done():
            return
        if self.link.withdrawn.intersection(call.id for call in turn.calls.answer().tool_calls):
            self._end_turn(Done("interrupted"), turn)

    def _steer(self, event: Event) -> None:
        turn = self.turn
        if isinstance(event, AnswerAudioStopped) and turn is not None:
            turn.audio_stopped = True
        if isinstance(event, AnswerAudioStarted) and turn is not None:
            turn.audio_expected = True
        if self.hands_free and isinstance(event, SpeechStarted):
            self._speech_started(event.at_ms)
        elif self.hands_free and isinstance(event, SpeechStopped):
            self._speech_stopped(event.at_ms)
        if self.link.ready:
            self._session_seen.set()
        if isinstance(event, VOICE_SIGNALS):
            return
        if isinstance(event, ToolCallDelta) and turn is not None and not turn.ended:
            turn.calls.apply(event)
        if isinstance(event, Done):
            if turn is not None and not turn.ended and self._asks_for_tools(turn, event):
                turn.tool_task = asyncio.ensure_future(self._run_tools(turn))
                return
            if turn is not None and not turn.ended:
                turn.response_done = event
                if not self.link.webrtc:  # socket links: the answer's audio is all in
                    self._flush_resampler(turn)
                self._finish_soon()
            return
        if isinstance(event, AudioChunk):  # WebSocket links: audio rides in the events
            if turn is not None:
                turn.audio_expected = True
            self._answer_audio(np.frombuffer(event.pcm, "<i2").astype(np.float32) / 32768.0, event.rate, None)
            return
        if isinstance(event, Error) and turn is not None and not turn.ended and not self.link.response_active and turn.response_done is None:
            self._emit(event)
            self._end_turn(Done("error"))
            return
        self._emit(event)

    # ---------------------------------------------------------------- tool steps

    def _asks_for_tools(self, turn: VoiceTurn, done: Done) -> bool:
        """The response ended with calls to run (some servers say "completed" beside their calls)."""
        return self.tools is not None and done.reason in ("tool_use", "complete") and bool(turn.calls.answer().tool_calls)

    async def _run_tools(self, turn: VoiceTurn) -> None:
        """One step: the calls approved and run (their cards and results go out on `events()`),
        then the outputs and one `response.create` on the link, unless the turn ended meanwhile."""
        assert self.tools is not None
        if turn.steps >= self.tools.max_steps:
            self._emit(step_limit_notice(turn.steps))
            self._end_turn(Done("length"), turn)
            return
        turn.steps += 1

        def put(event: Event) -> None:
            if turn.ended:
                return  # a barge-in ended the turn: what the call says after it is dropped
            if isinstance(event, ToolCallResult):
                turn.calls.apply(event)
            self._emit(event)

        await self.tools.run(turn.calls.answer().tool_calls, put)
        if turn.ended or turn is not self.turn:
            return  # cancelled: the late result is not sent into the next response
        message = turn.calls.answer().message()
        if message is None or not message.rounds:
            self._emit(Error(ErrorKind.PROTOCOL, "the tool step gave no result for the model's calls; the answer stops here"))
            self._end_turn(Done("error"), turn)
            return
        turn.audio_stopped = False  # the next response speaks again
        if not self.link.send_tool_results(message.rounds[-1].results):
            self._end_turn(Done("interrupted"), turn)  # the server withdrew every call: nothing goes on

    def _cancel_tools(self, turn: VoiceTurn | None) -> None:
        """The turn ended while its calls ran: the runner cancels each at its server."""
        if turn is not None and turn.tool_task is not None and not turn.tool_task.done() and turn.tool_task is not asyncio.current_task():
            turn.tool_task.cancel()

    def _speech_started(self, at_ms: int) -> None:
        """Hands-free: the user began speaking; an answer still playing is cut where it was heard."""
        self._speech_start_ms = at_ms
        for action in self.ptt.speech_started():
            if action is Action.BARGE_IN:
                self._barge_in()
        self._announce()

    def _speech_stopped(self, end_ms: int) -> None:
        """Hands-free: the user stopped; the server commits and answers, so a turn begins now."""
        if self.ptt.state is not VoiceState.LISTENING:
            return
        self.ptt.speech_stopped()
        self.speech_seconds = max(0.0, (end_ms - self._speech_start_ms) / 1000)
        self.turn = VoiceTurn()
        self.buffer.flush()
        self.buffer.restart_count()
        self.on_turn()
        self._announce()

    def _on_remote_audio(self, samples: np.ndarray, rate: int, timestamp: int | None) -> None:
        self._answer_audio(samples, rate, timestamp)

    def _answer_audio(self, samples: np.ndarray, rate: int, timestamp: int | None) -> None:
        """The answer's audio: from its first loud frame until the turn ends, played and emitted."""
        turn = self.turn
        if turn is None or turn.ended:
            return
        loud = level_dbfs(samples) > LOUD_DBFS
        if loud:
            turn.last_loud_at = time.perf_counter()
        if not turn.audio_received:
            if not (loud or turn.audio_expected):
                return  # line silence before the answer starts
            turn.audio_received = True
        if turn.audio_stopped and not loud:
            return  # line silence after the server's audio buffer stopped
        if rate != self.buffer.rate:
            if turn.resampler is None or turn.resampler.src_rate != rate:
                self._flush_resampler(turn)
                turn.resampler = Resampler(rate, self.buffer.rate)
            samples, timestamp = turn.resampler.process(samples), None
        self._play(turn, samples, timestamp)

    def _play(self, turn: VoiceTurn, samples: np.ndarray, timestamp: int | None) -> None:
        self.buffer.put(samples, timestamp)
        self._emit(AudioChunk(to_pcm16(samples), self.buffer.rate))

    def _flush_resampler(self, turn: VoiceTurn) -> None:
        """The last few samples held in the resampler's filter, when the answer's audio ends."""
        resampler, turn.resampler = turn.resampler, None
        if resampler is not None:
            tail = resampler.flush()
            if len(tail):
                self._play(turn, tail, None)

    def _played_threadsafe(self, real: int, when: float, peak: float) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._played, real, when, peak)

    def _played(self, real: int, when: float, peak: float) -> None:
        """The first block of the answer that makes a sound: the user starts hearing it."""
        turn = self.turn
        if turn is None or turn.ended or turn.clock.first_audio_at is not None or peak < LOUD_PEAK:
            return
        turn.clock.first_audio_at = when
        figure = turn.clock.first_audio_ms
        self.latency["first_audio_ms"] = None if figure is None else round(figure, 2)
        self.ptt.audio_started()
        self._announce()

    def _on_connection(self, state: ConnectionState | str) -> None:
        if state == ConnectionState.IDLE:
            return  # a link closing on purpose passes through idle on its way to closed
        self.connection = SHOWN_AS.get(state, str(state))
        self.on_connection(self.connection)
        if state in ("failed", "closed") and self.turn is not None and not self.turn.ended:
            self._emit(Error("connection", f"the voice connection {state} mid-turn; what arrived is kept", True))
            self._end_turn(Done("error"))

    def _on_level(self, level: float) -> None:
        self.on_level(level)

    # ---------------------------------------------------------------- ending a turn

    def _finish_soon(self) -> None:
        turn = self.turn
        if turn is not None and (self._finisher is None or self._finisher.done() or self._finishing is not turn):
            self._finishing = turn
            self._finisher = asyncio.ensure_future(self._finish_when_heard(turn))

    async def _finish_when_heard(self, turn: VoiceTurn) -> None:
        """After response.done: wait for the audio to finish playing, then close the turn."""
        done = turn.response_done or Done("complete")
        audio = "audio" in self.modalities and done.reason == "complete"
        began = time.perf_counter()
        while audio and not turn.ended:
            now = time.perf_counter()
            if now - began > MAX_TAIL_S:
                break
            if not turn.audio_expected and not turn.audio_received and now - began > NO_AUDIO_GRACE_S:
                break
            if turn.audio_received and (turn.audio_stopped or not self.link.webrtc) and self.buffer.buffered_samples == 0 and now - turn.last_loud_at > QUIET_END_S:
                break
            await asyncio.sleep(0.02)
        self._end_turn(done, turn)

    def _end_turn(self, done: Done, turn: VoiceTurn | None = None) -> None:
        """End `turn` (the current one by default); a turn already over stays as it ended."""
        turn = turn or self.turn
        if turn is None or turn.ended:
            return
        turn.ended = True
        self._cancel_tools(turn)
        self._emit(done)  # the figures are the turn's clock's, made by the SpokenTurn that reads this
        if turn is self.turn:
            self.ptt.answer_done()
        self._announce()
        self._spoken.set()

    def _announce(self) -> None:
        """Tell the UI about a state change (once per change)."""
        if self.ptt.state is not self._announced:
            self._announced = self.ptt.state
            self.on_state(self._announced)

    def _emit(self, event: Event) -> None:
        self._queue.put_nowait(event)

"""`rtchat ask --audio-in FILE.wav`: one spoken user turn from a file, the
reply printed as events (text, or --jsonl), optionally saved with --save-audio.

The file goes through the same capture path and voice session as a
microphone: push-to-talk down, the file's audio, push-to-talk up; the exchange
then runs as a `SpokenTurn` (the Turn interface, its queue and clock). The answer
is "played" on a silent clock-driven speaker so its timing (and a Ctrl-C
barge-in's truncate) is what a listener would get.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from rtchat.catalog import parse_model_ref
from rtchat.commands.ask_approval import AllowAll, TerminalApprover
from rtchat.commands.common import fail, load_config_or_report
from rtchat.audio.support import AudioUnavailable, load_aiortc, missing_voice_packages
from rtchat.commands.printers import TextPrinter, print_jsonl
from rtchat.commands.tool_flags import tool_choices
from rtchat.config import default_model_ref
from rtchat.conversation import Conversation
from rtchat.events import AudioChunk, Done, Event, Notice, TextDelta, Transcript
from rtchat.history import TurnRecorder
from rtchat.sanitize import terminal_safe
from rtchat.secrets import has_key
from rtchat.transports.webrtc import WebRTCError
from rtchat.turns.spoken import SpokenTurn
from rtchat.voice.links import link_for


class VoicePrinter:
    """The answer's transcript on stdout; what the user said and notices on stderr."""

    def __init__(self, text_printer) -> None:
        self.text = text_printer

    def __call__(self, event: Event) -> None:
        if isinstance(event, Transcript):
            if event.role == "assistant":
                self.text(TextDelta(event.text))
            elif event.final:
                sys.stderr.write(f"rtchat: you said: {terminal_safe(event.text)}\n")
        elif not isinstance(event, AudioChunk):
            self.text(event)


async def feed_until_done(voice, spoken: SpokenTurn) -> None:
    """The one reader of the voice session's events: the exchange's share goes to its turn."""
    async for event in voice.events():
        spoken.feed(event)
        if isinstance(event, Done):
            return


def voice_protocol(requested: str) -> str:
    return "webrtc" if requested == "sse" else requested  # sse carries no audio: WebRTC is the default


async def ask_voice(args) -> int:
    try:
        if voice_protocol(args.ask_protocol) == "webrtc":
            load_aiortc()
        from rtchat.audio.capture import Capture  # inside the try: a missing voice package or PortAudio becomes one line
        from rtchat.audio.playback import ClockSpeaker
        from rtchat.audio.sources import wav_source
        from rtchat.audio.wavfile import WavError, write_wav
        from rtchat.session import Session
        from rtchat.voice.session import VoiceSession
    except (AudioUnavailable, ImportError) as exc:
        return fail(str(exc) if isinstance(exc, AudioUnavailable) else missing_voice_packages())
    config = load_config_or_report()
    if config is None:
        return 2
    try:
        source = wav_source(args.audio_in)
    except (OSError, WavError) as exc:
        return fail(f"cannot read --audio-in {args.audio_in}: {exc}")
    try:
        ref = parse_model_ref(args.ask_model) if args.ask_model else default_model_ref(config, has_key)
    except ValueError as exc:
        return fail(str(exc))
    protocol = voice_protocol(args.ask_protocol)
    settings = config.voice
    emit = print_jsonl if args.jsonl else VoicePrinter(TextPrinter(show_thinking=False))
    warn = (lambda text: print(f"rtchat: {text}", file=sys.stderr))
    session = Session(config)
    recorder = TurnRecorder.open(warn, enabled=not args.no_history)
    audio: list[bytes] = []
    rate = 0
    reason = "error"
    loop = asyncio.get_running_loop()
    voice = None
    terminal = None
    try:
        target = await session.resolve(ref, args.base_url)
        if not target.info.voice and target.provider.id != "gemini":  # Gemini: link_for names the Live models
            return fail(f"{target.ref} has no voice; a spoken turn needs a voice model (loopback/echo, openai/gpt-realtime or a Gemini Live model)")
        if not target.key and target.provider.needs_key:
            return fail(f"no key for {target.provider.id}: set one with `rtchat keys set {target.provider.id}`")
        choices = tool_choices(session, target, args)
        if choices is None:
            return 2
        terminal = None if args.approve_tools else TerminalApprover()  # nothing spoken approves a call: the flag or the terminal
        tools = session.tool_runner(target, "voice", terminal or AllowAll(), choices)
        link = link_for(target, protocol, settings, session.client_for(target.base_url), session.network, args.system)
        capture = Capture(source)
        voice = VoiceSession(link, capture, ClockSpeaker, instructions=args.system, jitter_ms=settings.jitter_ms, tools=tools)
        recorder.start(target.ref, protocol, args.system)
        recorder.prompt(f"[spoken: {args.audio_in}, {source.duration:.1f} s]")
        recorder.begin_answer(target.ref, target.provider.id)
        await voice.start(open_microphone=False)
        spoken: SpokenTurn | None = None
        stopped = asyncio.Event()

        def on_ctrl_c() -> None:
            stopped.set()
            if spoken is not None:
                spoken.cancel()  # as a barge-in: the answer stops where it was heard
            else:
                asyncio.ensure_future(voice.interrupt())  # what was being said is dropped

        loop.add_signal_handler(signal.SIGINT, on_ctrl_c)
        await voice.start_talking()
        capture.start()
        await asyncio.wait([asyncio.ensure_future(source.finished.wait()), asyncio.ensure_future(stopped.wait())], return_when=asyncio.FIRST_COMPLETED)
        await voice.stop_talking()
        if voice.turn is None:
            if stopped.is_set():
                return 130
            return fail(next((event.text for event in voice.pending() if isinstance(event, Notice)), "nothing was said"))  # too short to send
        # The spoken exchange runs as a turn, like a typed one: the same queue, clock and figures.
        spoken = SpokenTurn(voice, target, Conversation(system=args.system), source.duration)
        feeder = asyncio.create_task(feed_until_done(voice, spoken))
        async for event in spoken.events():
            recorder.update(spoken.answer, final=isinstance(event, Done))  # the turn's one answer
            if isinstance(event, AudioChunk):
                audio.append(event.pcm)
                rate = event.rate
            try:
                emit(event)
            except BrokenPipeError:
                break
            if isinstance(event, Done):
                reason = event.reason
                break
        feeder.cancel()
    except (ValueError, LookupError, AudioUnavailable) as exc:
        return fail(str(exc))
    except Exception as exc:
        if isinstance(exc, (WebRTCError, ConnectionError)):
            return fail(str(exc), 1)
        raise
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        if voice is not None:
            await voice.close()
        recorder.close()
        await session.aclose()
        if terminal is not None:
            terminal.close()
    if args.save_audio:
        import numpy as np  # numpy: a voice package, imported once the check above has passed

        pcm = b"".join(audio)
        write_wav(args.save_audio, np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0, rate or 48000)
        print(f"rtchat: saved {len(pcm) / 2 / (rate or 48000):.1f} s of the answer to {args.save_audio}", file=sys.stderr)
    return {"interrupted": 130, "error": 1}.get(reason, 0)


def run_ask_voice(args) -> int:
    try:
        return asyncio.run(ask_voice(args))
    except KeyboardInterrupt:
        return 130

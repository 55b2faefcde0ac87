"""Shared by the voice tests: real speech WAVs, a headless PulseAudio, and a loopback voice session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest

from rtchat.audio.pcm import SPEECH_THRESHOLD_DBFS, WINDOW_MS, speech_duration, window_levels
from rtchat.audio.wavfile import read_wav, write_wav
from rtchat.catalog import BUILTIN, PROTOCOLS, ModelInfo
from rtchat.target import Target

SENTENCE = "Push to talk."  # 0.84 s of speech: the echo plays it back in real time, so each second here costs two


MIC_RATE = 48000  # what the app's microphone path delivers


def syllables(count: int = 4, rate: int = MIC_RATE) -> np.ndarray:
    """Speech-like energy: short voiced bursts with gaps (what the loopback measures as speech)."""
    t = np.arange(int(0.18 * rate)) / rate
    syllable = (0.3 * np.sin(2 * np.pi * 180 * t) * np.hanning(len(t))).astype(np.float32)
    gap = np.zeros(rate // 20, dtype=np.float32)
    return np.concatenate([np.concatenate([syllable, gap]) for _ in range(count)])


def spoken_then_quiet(count: int = 4) -> np.ndarray:
    """Syllables, then the 0.7 s of silence that tells the server's voice detector the speaker stopped."""
    return np.concatenate([syllables(count), np.zeros(int(0.7 * MIC_RATE), np.float32)])


class HandFedSource:
    """A microphone the test speaks into: open for the whole session, fed block by block."""

    rate = MIC_RATE

    def __init__(self) -> None:
        self.deliver = None

    def start(self, deliver) -> None:
        self.deliver = deliver

    def stop(self) -> None:
        self.deliver = None

    def say(self, samples: np.ndarray) -> None:
        block = MIC_RATE // 50
        for offset in range(0, len(samples), block):
            self.deliver(samples[offset : offset + block])


def tap(pilot, key: str) -> None:
    """A key through the app's bindings without the pilot's idle wait (aiortc's threads keep the CPU busy)."""
    pilot.app.simulate_key(key)


def voice_state(app) -> str | None:
    return app.voice.current.state.value if app.voice.current is not None else None


_SPOKEN: dict[str, bytes] = {}  # text -> its WAV: espeak-ng runs once per text and process


def speech_wav(folder: Path, text: str = SENTENCE) -> Path:
    """`folder/speech.wav`: a real espeak-ng recording of `text` (a synthetic syllable train when
    espeak-ng is absent), synthesised once per process and copied for each caller."""
    path = folder / "speech.wav"
    if text not in _SPOKEN:
        if shutil.which("espeak-ng"):
            subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True, capture_output=True, timeout=20)
        else:
            rate = 22050
            write_wav(path, np.concatenate([np.zeros(rate // 5), syllables(12, rate), np.zeros(rate // 5)]), rate)
        _SPOKEN[text] = path.read_bytes()
    else:
        path.write_bytes(_SPOKEN[text])
    return path


def loud_seconds(samples: np.ndarray, rate: int) -> float:
    """How long the sound is above -45 dBFS, summed over 20 ms windows: unlike the first-to-last
    span, silence slipped in between (an ALSA underrun on a loaded machine) adds nothing."""
    return float((window_levels(samples, rate) > SPEECH_THRESHOLD_DBFS).sum() * WINDOW_MS / 1000)


def wav_loud_seconds(path: Path) -> float:
    samples, rate = read_wav(path)
    return loud_seconds(samples, rate)


def wav_speech_seconds(path: Path) -> float:
    """The same -45 dBFS first-to-last-loud-frame rule the loopback applies."""
    samples, rate = read_wav(path)
    return speech_duration(samples, rate)


def heard_seconds(text: str) -> float:
    """N.N from the echo model's `heard N.N s of audio (level -XX dBFS)`."""
    assert text.startswith("heard "), text
    return float(text.split()[1])


@contextmanager
def headless_pulseaudio() -> Iterator[None]:
    """A PulseAudio daemon to play into and record from; skips when PulseAudio is missing.

    Started only when absent. Under pytest-xdist the daemon is shared by the workers, so one
    started here is left running (scripts/test starts it that way anyway); run alone, it is stopped on exit."""
    if not shutil.which("pactl") or not shutil.which("pulseaudio"):
        pytest.skip("PulseAudio is not installed (apt-get install pulseaudio libasound2-plugins)")
    started = not _pulse_answers()
    if started:
        # Two workers may race here: the second `pulseaudio -D` fails and both wait for the first.
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1"], capture_output=True, timeout=20)
        deadline = time.monotonic() + 5
        while not _pulse_answers():  # the daemon answers a moment after it forks
            if time.monotonic() > deadline:
                pytest.skip("PulseAudio could not be started headless (pulseaudio -D --exit-idle-time=-1 failed)")
            time.sleep(0.1)
    try:
        yield
    finally:
        if started and not os.environ.get("PYTEST_XDIST_WORKER"):
            subprocess.run(["pulseaudio", "--kill"], capture_output=True, timeout=20)


@contextmanager
def null_sinks(*roles: str) -> Iterator[tuple[str, ...]]:
    """One PulseAudio null sink per role, named for this worker and process (`rtchat_mic_gw1_4242`),
    so tests on two pytest-xdist workers never play into or record from each other's sink.
    Yields the sink names; a sink's source to record from is `NAME.monitor`."""
    owner = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    names = tuple(f"rtchat_{role}_{owner}" for role in roles)
    with headless_pulseaudio():
        modules = [_pactl("load-module", "module-null-sink", f"sink_name={name}").strip() for name in names]
        try:
            yield names
        finally:
            for module in modules:
                if module:
                    _pactl("unload-module", module)


def _pulse_answers() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True, timeout=10).returncode == 0


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10).stdout


async def loopback_voice(server, capture, speaker_factory, model: str = "echo", **options):
    """A started VoiceSession over WebRTC to the loopback server."""
    from rtchat.transports.webrtc import calls_url
    from rtchat.voice.links import WebRTCLink
    from rtchat.voice.session import VoiceSession

    client = httpx.AsyncClient()
    link = WebRTCLink(client, calls_url(server.url + "/v1", model), None)
    voice = VoiceSession(link, capture, speaker_factory, **options)
    voice.http_client = client
    return voice


async def collect_to_done(voice, events: list) -> None:
    """Append the session's events to `events` up to and with the first Done."""
    from rtchat.events import Done

    async for event in voice.events():
        events.append(event)
        if isinstance(event, Done):
            return


async def run_spoken_turn(voice, source, talk) -> list:
    """Press, let `talk()` deliver the speech, press again; collect events up to Done."""
    import asyncio

    events: list = []
    collector = asyncio.create_task(collect_to_done(voice, events))
    await voice.start_talking()
    await talk()
    await voice.stop_talking()
    await asyncio.wait_for(collector, 20)
    return events


async def spoken_exchange(voice, source, events: list, seen=None):
    """Press, the WAV `source` played as the microphone to its end, release: the task that collects
    the session's events into `events` (each also handed to `seen`) up to Done."""
    import asyncio

    from rtchat.events import Done

    async def collect() -> None:
        async for event in voice.events():
            events.append(event)
            if seen is not None:
                seen(event)
            if isinstance(event, Done):
                return

    collector = asyncio.create_task(collect())
    await voice.start_talking()
    voice.capture.start()
    await source.finished.wait()
    await voice.stop_talking()
    return collector


def loud_seconds_after(events: list, kind: type) -> float:
    """How long the AudioChunks emitted after the first event of `kind` are loud (see `loud_seconds`)."""
    from rtchat.events import AudioChunk

    start = next(i for i, event in enumerate(events) if isinstance(event, kind))
    chunks = [event for event in events[start:] if isinstance(event, AudioChunk)]
    if not chunks:
        return 0.0
    pcm = np.frombuffer(b"".join(chunk.pcm for chunk in chunks), "<i2").astype(np.float32) / 32768
    return loud_seconds(pcm, chunks[0].rate)


@contextmanager
def pulse_mic_and_speaker() -> Iterator[tuple[str, str]]:
    """Two PulseAudio null sinks: what is played into `mic` is heard on its monitor (rtchat's
    microphone), and rtchat plays into `speaker`, whose monitor the test records. Separate sinks,
    so the answer never leaks back into the microphone. Yields (mic sink, speaker sink)."""
    with null_sinks("mic", "speaker") as (mic, speaker):
        yield mic, speaker


@contextmanager
def pulse_as_default_devices(monkeypatch) -> Iterator[tuple[str, str]]:
    """`pulse_mic_and_speaker`, made PortAudio's default input and output (through ALSA's pulse
    plugin) for the app's own devices. Yields (mic sink, speaker sink)."""
    with pulse_mic_and_speaker() as (mic, speaker):
        monkeypatch.setenv("PULSE_SOURCE", f"{mic}.monitor")
        monkeypatch.setenv("PULSE_SINK", speaker)
        yield mic, speaker


class MonitorRecorder:
    """`parec` on a sink's monitor: the PCM16 48 kHz mono that reached the sink, for the test to measure."""

    RATE = 48000

    def __init__(self, sink: str) -> None:
        self.sink = sink
        self.pcm = bytearray()
        self._process = None
        self._reader = None

    async def start(self) -> None:
        import asyncio

        self._process = await asyncio.create_subprocess_exec(
            "parec", f"--device={self.sink}.monitor", "--raw", "--format=s16le", f"--rate={self.RATE}", "--channels=1", "--latency-msec=20",
            stdout=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while chunk := await self._process.stdout.read(4096):
            self.pcm += chunk

    def samples(self) -> np.ndarray:
        return np.frombuffer(bytes(self.pcm[: len(self.pcm) - len(self.pcm) % 2]), "<i2").astype(np.float32) / 32768

    def speech_seconds(self) -> float:
        """The span of sound recorded (first to last frame above -45 dBFS: the loopback's own rule)."""
        return speech_duration(self.samples(), self.RATE)

    def loud_seconds(self) -> float:
        """How long what was recorded is loud, gaps left out (see `loud_seconds`)."""
        return loud_seconds(self.samples(), self.RATE)

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        if self._reader is not None:
            await self._reader


def voice_target(base_url: str, model: str = "echo", key: str | None = None, provider: str = "loopback") -> Target:
    """A voice model at `base_url` (the loopback, or a peer a test runs), as a voice link takes it."""
    return Target(BUILTIN[provider], model, ModelInfo(model, protocols=PROTOCOLS, voice=True), base_url, key)


async def spoken_once(voice, source, before=None) -> list:
    """Start `voice` without a microphone, speak `source` (a wav source) as one push-to-talk
    turn, collect its events up to Done, and close the session. `before()` runs once the key
    is down, before the speech."""
    await voice.start(open_microphone=False)

    async def talk() -> None:
        if before is not None:
            before()
        voice.capture.start()
        await source.finished.wait()

    try:
        return await run_spoken_turn(voice, source, talk)
    finally:
        await voice.close()

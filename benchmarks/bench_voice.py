"""Voice latency over WebRTC against the loopback (server in its own process).

    python benchmarks/bench_voice.py [--runs 10] [--json OUT] [--no-pulse]

- connect: SDP offer created -> `oai-events` data channel open.
- release -> first audio: push-to-talk released -> first sample of the reply
  audible (silent clock speaker, then the real PortAudio output into PulseAudio,
  where "audible" is the block's DAC time PortAudio reports). One voice session
  serves every turn of a round, as in the app (its speaker stream opens once: a
  PulseAudio null sink stalls a new stream for up to 2 s, once), after a warm-up
  turn; each round's p50/p95, then the median of the rounds.
- mouth -> ear (PulseAudio): speech is played into the null sink, captured from
  its monitor by rtchat's microphone path, sent, echoed by `loopback/echo`,
  and played by rtchat into the same sink. A recorder (parecord) on the monitor
  hears both; the figures are the gap from the end of the spoken turn to the
  start of the heard answer (also without the silence the echo model replays
  from before the user spoke), and from the start of speech to the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks._common import describe, loopback_process, write_json  # noqa: E402
from rtchat.audio.capture import Capture  # noqa: E402
from rtchat.audio.pcm import speech_span, to_float, window_levels  # noqa: E402
from rtchat.audio.playback import ClockSpeaker, DeviceSpeaker  # noqa: E402
from rtchat.audio.sources import MicrophoneSource  # noqa: E402
from rtchat.events import AudioChunk, Done  # noqa: E402
from rtchat.transports.webrtc import RealtimeCall, calls_url  # noqa: E402
from rtchat.voice.links import WebRTCLink  # noqa: E402
from rtchat.voice.session import VoiceSession  # noqa: E402

MODEL = "echo@rate=0"


def make_speech(folder: Path, text: str) -> Path:
    path = folder / f"speech_{len(text)}.wav"
    subprocess.run(["espeak-ng", "-s", "170", "-w", str(path), text], check=True, capture_output=True)
    return path


async def drain(voice: VoiceSession) -> list:
    events = []
    async for event in voice.events():
        events.append(event)
        if isinstance(event, Done):
            break
    return events


async def bench_connect(url: str, runs: int) -> list[float]:
    figures = []
    async with httpx.AsyncClient() as client:
        for _ in range(runs):
            call = RealtimeCall(lambda e: None, lambda *a: None)
            await call.connect(client, calls_url(url + "/v1", MODEL), None)
            figures.append(call.connect_ms)
            await call.close()
    return figures


class SaySource:
    """A microphone the benchmark speaks into: open for the whole session, fed a clip per turn."""

    def __init__(self, samples: np.ndarray, rate: int) -> None:
        self.samples, self.rate = samples, rate
        self.deliver = None

    def start(self, deliver) -> None:
        self.deliver = deliver

    def stop(self) -> None:
        self.deliver = None

    def say(self) -> None:
        block = self.rate // 50
        for offset in range(0, len(self.samples), block):
            self.deliver(self.samples[offset : offset + block])


async def one_turn(voice: VoiceSession, source: SaySource) -> float | None:
    collector = asyncio.create_task(drain(voice))
    await voice.start_talking()
    source.say()
    await voice.stop_talking()
    await asyncio.wait_for(collector, 30)
    return voice.latency["first_audio_ms"]


async def bench_release(url: str, speech: Path, runs: int, speaker_factory) -> list[float]:
    """One session (as the app keeps one), a warm-up turn, then `runs` measured turns."""
    from rtchat.audio.wavfile import read_wav

    source = SaySource(*read_wav(speech))
    figures = []
    async with httpx.AsyncClient() as client:
        voice = VoiceSession(WebRTCLink(client, calls_url(url + "/v1", MODEL), None), Capture(source), speaker_factory)
        await voice.start()
        try:
            await one_turn(voice, source)  # warm-up: the output stream's start, the codecs' first frames
            for _ in range(runs):
                value = await one_turn(voice, source)
                if value is not None:
                    figures.append(value)
        finally:
            await voice.close()
    return figures


def rounds_summary(rounds: list[list[float]]) -> dict:
    """Each round's p50 and p95, and the median of those over the rounds."""
    per_round = [describe(figures) for figures in rounds if figures]
    return {
        "p50_median_of_rounds": round(statistics.median(r["median"] for r in per_round), 1),
        "p95_median_of_rounds": round(statistics.median(r["p95"] for r in per_round), 1),
        "rounds": len(per_round),
        "turns_per_round": per_round[0]["n"] if per_round else 0,
    }


def segments(samples: np.ndarray, rate: int, min_gap_s: float = 0.3) -> list[tuple[float, float]]:
    """Stretches of sound (-45 dBFS, 20 ms windows) separated by at least min_gap_s of quiet."""
    loud = np.flatnonzero(window_levels(samples, rate) > -45.0)
    spans: list[list[float]] = []
    for index in loud:
        start, end = index * 0.02, (index + 1) * 0.02
        if spans and start - spans[-1][1] < min_gap_s:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(float(a), float(b)) for a, b in spans]


async def mouth_to_ear(url: str, speech: Path, folder: Path, trips: int) -> list[dict]:
    """`trips` spoken turns through PulseAudio on one voice session (after a warm-up turn), each
    recorded from the sink's monitor: the gaps between the end of speech and the answer heard."""
    from rtchat.audio.wavfile import read_wav

    monitor = subprocess.run(["pactl", "get-default-sink"], capture_output=True, text=True).stdout.strip() + ".monitor"
    os.environ["PULSE_SOURCE"] = monitor  # rtchat's microphone is the sink's monitor
    figures = []
    async with httpx.AsyncClient() as client:
        source = MicrophoneSource()
        voice = VoiceSession(WebRTCLink(client, calls_url(url + "/v1", MODEL), None), Capture(source), lambda buffer, played: DeviceSpeaker(buffer, on_played=played))
        await voice.start()
        try:
            for trip in range(trips + 1):
                recording = folder / f"monitor_{trip}.wav"
                recorder = await asyncio.create_subprocess_exec("parecord", f"--device={monitor}", "--rate=48000", "--channels=1", "--format=s16le", "--file-format=wav", str(recording))
                await asyncio.sleep(0.3)  # the recorder is up before the speech starts
                collector = asyncio.create_task(drain(voice))
                await voice.start_talking()
                player = await asyncio.create_subprocess_exec("paplay", str(speech))
                await player.wait()
                await asyncio.sleep(0.05)
                await voice.stop_talking()
                events = await asyncio.wait_for(collector, 30)
                await asyncio.sleep(0.3)
                recorder.terminate()
                await recorder.wait()
                if trip == 0:
                    continue  # warm-up
                answer = np.concatenate([to_float(e.pcm) for e in events if isinstance(e, AudioChunk)] or [np.zeros(1, np.float32)])
                span = speech_span(answer, 48000)
                lead = span[0] if span else 0.0  # the echo replays the turn from the key press: silence first
                samples, rate = read_wav(recording)
                spans = segments(samples, rate)
                if len(spans) < 2:
                    print(f"mouth -> ear: expected speech then answer in the monitor recording, found {spans} in {len(samples) / rate:.2f} s", file=sys.stderr)
                    continue
                (speech_start, speech_end), (answer_start, _) = spans[0], spans[1]
                figures.append({
                    "end_of_speech_to_answer_ms": round((answer_start - speech_end) * 1000, 1),
                    "same_without_echoed_lead_silence_ms": round((answer_start - speech_end - lead) * 1000, 1),
                    "speech_start_to_answer_ms": round((answer_start - speech_start) * 1000, 1),
                })
        finally:
            await voice.close()
    return figures


def pulse_ok() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True).returncode == 0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--no-pulse", action="store_true")
    parser.add_argument("--trips", type=int, default=3, help="mouth -> ear round trips")
    args = parser.parse_args()
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder, loopback_process() as url:
        short = make_speech(Path(folder), "Hello there.")
        results["connect_ms"] = describe(await bench_connect(url, args.runs))
        device = lambda buffer, played: DeviceSpeaker(buffer, on_played=played)  # noqa: E731
        pulse = not args.no_pulse and pulse_ok()
        clock_rounds, device_rounds = [], []
        for _ in range(args.rounds):  # alternated, so both see the same machine load
            clock_rounds.append(await bench_release(url, short, args.runs, ClockSpeaker))
            if pulse:
                device_rounds.append(await bench_release(url, short, args.runs, device))
        results["release_to_first_audio_ms_clock"] = rounds_summary(clock_rounds)
        if pulse:
            results["release_to_first_audio_ms_pulseaudio"] = rounds_summary(device_rounds)
            results["pulseaudio_minus_clock_p50_ms"] = round(results["release_to_first_audio_ms_pulseaudio"]["p50_median_of_rounds"] - results["release_to_first_audio_ms_clock"]["p50_median_of_rounds"], 1)
            trips = await mouth_to_ear(url, short, Path(folder), args.trips)
            if trips:
                results["mouth_to_ear_pulseaudio"] = {key: describe([t[key] for t in trips]) for key in trips[0]}
    for name, figures in results.items():
        print(f"{name:40s} {figures}")
    write_json(args.json, results)


if __name__ == "__main__":
    asyncio.run(main())

"""The audio path without sound cards: resampling, levels, the capture gate, the jitter buffer."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from rtchat.audio.capture import Capture
from rtchat.audio.jitter import JitterBuffer
from rtchat.audio.pcm import level_dbfs, speech_duration, to_float, to_pcm16
from rtchat.audio.resample import Resampler, resample
from rtchat.audio.sources import ArraySource
from rtchat.loopback.audio_meter import measure


def sine(hz: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("src,dst", [(48000, 24000), (48000, 16000), (24000, 48000), (22050, 48000), (44100, 16000)])
def test_resampling_keeps_the_pitch_and_the_length(src, dst):
    signal = sine(440.0, 1.0, src)
    out = resample(signal, src, dst)
    assert abs(len(out) - dst) <= 2
    assert abs(peak_hz(out, dst) - 440.0) < 2.0
    assert abs(level_dbfs(out) - level_dbfs(signal)) < 0.5  # no loss in the pass band


def test_streaming_in_odd_chunks_matches_one_shot():
    signal = sine(1000.0, 0.5, 48000)
    whole = resample(signal, 48000, 16000)
    stream = Resampler(48000, 16000)
    pieces, offset = [], 0
    for size in [7, 960, 13, 481, 2000, 3] * 20:
        pieces.append(stream.process(signal[offset : offset + size]))
        offset += size
    pieces.append(stream.process(signal[offset:]))
    pieces.append(stream.flush())
    joined = np.concatenate(pieces)
    assert len(joined) == len(whole)
    n = min(len(joined), len(whole))
    assert np.max(np.abs(joined[:n] - whole[:n])) < 1e-4  # no clicks at the joins


def test_streaming_holds_back_under_a_millisecond():
    stream = Resampler(48000, 24000)
    out = [len(stream.process(block)) for block in np.split(sine(440.0, 0.1, 48000), 10)]  # 10 ms blocks
    assert sum(out) >= 2400 - 24  # what is spoken reaches the wire without waiting for the next block
    assert abs(sum(out) + len(stream.flush()) - 2400) <= 1


def test_downsampling_removes_what_the_new_rate_cannot_carry():
    out = resample(sine(11000.0, 0.5, 48000), 48000, 16000)  # above 8 kHz Nyquist
    assert level_dbfs(out[200:]) < -30


def test_pcm16_round_trip_and_levels():
    samples = sine(440.0, 0.1, 24000, amplitude=0.5)
    assert np.max(np.abs(to_float(to_pcm16(samples)) - samples)) < 1 / 16000
    assert abs(level_dbfs(samples) - 20 * np.log10(0.5 / np.sqrt(2))) < 0.1
    assert level_dbfs(np.zeros(100)) == -100.0


def test_speech_duration_agrees_with_the_loopback_meter():
    rate = 24000
    clip = np.concatenate([np.zeros(rate // 2), sine(300, 1.3, rate, 0.3), np.zeros(rate // 4), sine(500, 0.4, rate, 0.2), np.zeros(rate)]).astype(np.float32)
    ours = speech_duration(clip, rate)
    assert abs(ours - 1.95) < 0.03
    assert abs(measure(to_pcm16(clip), rate).seconds - ours) < 0.03


async def test_injected_source_feeds_the_gated_capture_path():
    rate = 48000
    signal = sine(440.0, 0.6, rate)
    source = ArraySource(signal, rate, realtime=True)
    levels: list[float] = []
    shut_blocks_passed = asyncio.Event()

    def on_level(level: float) -> None:
        levels.append(level)
        if len(levels) == 5:
            shut_blocks_passed.set()

    capture = Capture(source, on_level=on_level)
    got: dict[int, list[np.ndarray]] = {48000: [], 24000: [], 16000: []}
    for out_rate, blocks in got.items():
        capture.add_sink(out_rate, blocks.append)
    capture.start()
    await asyncio.wait_for(shut_blocks_passed.wait(), 5)  # the first 5 blocks (0.1 s) pass while the gate is shut
    capture.open_gate()
    await source.finished.wait()
    sent = capture.sent_seconds
    assert 0.3 < sent < 0.6 and levels and max(levels) > -10
    for out_rate, blocks in got.items():
        joined = np.concatenate(blocks)
        assert abs(len(joined) / out_rate - sent) < 0.01
        assert abs(peak_hz(joined, out_rate) - 440.0) < 3.0


async def test_capture_delivers_nothing_while_the_gate_is_shut():
    source = ArraySource(sine(440.0, 0.2, 48000), 48000)
    capture = Capture(source)
    blocks: list[np.ndarray] = []
    capture.add_sink(24000, blocks.append)
    capture.start()
    await source.finished.wait()
    assert blocks == [] and capture.level_dbfs > -20


async def test_realtime_source_keeps_the_clock():
    source = ArraySource(np.zeros(48000 // 5, dtype=np.float32), 48000, realtime=True)
    loop = asyncio.get_running_loop()
    began = loop.time()
    source.start(lambda block: None)
    await source.finished.wait()
    assert 0.15 < loop.time() - began < 0.4


# ---------------------------------------------------------------- jitter buffer


def frames(count: int, size: int = 480) -> list[tuple[int, np.ndarray]]:
    return [(i * size, np.full(size, (i + 1) / 100, dtype=np.float32)) for i in range(count)]


def test_jitter_buffer_reorders_by_timestamp():
    buffer = JitterBuffer(24000, prefill_ms=40)
    items = frames(4)
    for ts, samples in [items[1], items[0], items[3], items[2]]:
        buffer.put(samples, ts)
    out, real = buffer.read(4 * 480)
    assert real == 4 * 480
    assert [round(float(out[i * 480]), 2) for i in range(4)] == [0.01, 0.02, 0.03, 0.04]


def test_jitter_buffer_waits_for_prefill_and_answers_underrun_with_silence():
    buffer = JitterBuffer(24000, prefill_ms=40)  # 960 samples
    buffer.put(np.ones(480, dtype=np.float32), 0)
    out, real = buffer.read(480)
    assert real == 0 and not out.any()  # still prefilling
    buffer.put(np.ones(480, dtype=np.float32), 480)
    out, real = buffer.read(1500)
    assert real == 960 and out[:960].all() and not out[960:].any()
    assert buffer.underruns == 1
    buffer.put(np.ones(480, dtype=np.float32), 960)
    assert buffer.read(480)[1] == 0  # prefills again after an underrun


def test_jitter_buffer_fills_a_lost_frame_with_silence_and_drops_late_ones():
    buffer = JitterBuffer(24000, prefill_ms=0)
    items = frames(3)
    buffer.put(items[0][1], items[0][0])
    buffer.put(items[2][1], items[2][0])
    out, real = buffer.read(3 * 480)
    assert real == 960 and not out[480:960].any()
    buffer.put(items[1][1], items[1][0])  # arrives after its time
    assert buffer.late_drops == 1 and buffer.buffered_samples == 0


def test_jitter_buffer_flush_drops_everything_and_counts_what_was_played():
    buffer = JitterBuffer(48000, prefill_ms=0)
    for ts, samples in frames(10, 960):
        buffer.put(samples, ts)
    buffer.read(960 * 3)
    assert buffer.played_ms == 60
    assert buffer.flush() == 960 * 7
    out, real = buffer.read(960)
    assert real == 0 and not out.any()  # nothing left: silence
    buffer.put(np.ones(960, dtype=np.float32), 10**6)  # a new stream starts anywhere
    out, real = buffer.read(960)
    assert real == 960 and buffer.played_ms == 80
    buffer.restart_count()
    assert buffer.played_ms == 0


def test_jitter_buffer_without_timestamps_plays_in_arrival_order():
    buffer = JitterBuffer(16000, prefill_ms=0)
    buffer.put(np.full(160, 0.1, dtype=np.float32))
    buffer.put(np.full(160, 0.2, dtype=np.float32))
    out, real = buffer.read(320)
    assert real == 320 and out[0] == pytest.approx(0.1) and out[-1] == pytest.approx(0.2)


def test_a_24_khz_answer_read_at_the_device_s_48_khz_comes_out_whole_and_in_tune():
    from rtchat.audio.playback import RateConverted

    buffer = JitterBuffer(24000, prefill_ms=20)
    answer = sine(440.0, 1.0, 24000)
    for piece in np.split(answer, 25):  # 40 ms pieces, as a socket hands them over
        buffer.put(piece)
    feed = RateConverted(buffer, 48000)
    blocks = [feed.read(480) for _ in range(110)]  # 10 ms device blocks, past the answer's end
    out = np.concatenate([samples for samples, _ in blocks])
    assert {len(samples) for samples, _ in blocks} == {480}
    assert sum(real for _, real in blocks) == 24000 and buffer.played_ms == 1000  # counted in the answer's samples
    sounding = np.flatnonzero(np.abs(out) > 0.05)
    assert abs(sounding[-1] - sounding[0] + 1 - 48000) <= 48  # all of it, its end not held in the filter
    assert abs(peak_hz(out, 48000) - 440.0) < 2.0

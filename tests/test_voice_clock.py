"""A spoken turn's figures come from the one clock: TTFT is its first answer event (the
spoken answer's words), and the voice figures are defined next to it in metrics.py."""

from __future__ import annotations

from rtchat.events import AudioChunk, Transcript
from rtchat.metrics import TurnClock


def test_ttft_is_the_first_words_and_first_audio_is_its_own_figure():
    clock = TurnClock(started=10.0, speech_ended_at=9.5)
    clock.observe(AudioChunk(b"\x00\x00", 24000), now=10.1)  # audio is not a token: it has its own figure
    clock.observe(Transcript("user", "hello", final=True), now=10.2)  # the user's words are not the answer
    clock.observe(Transcript("assistant", "hi"), now=10.3)
    clock.first_audio_at = 10.4
    metrics = clock.metrics(now=11.0)
    assert metrics.ttft_ms == 300.0
    assert metrics.first_audio_ms == 400.0 and metrics.speech_to_audio_ms == 900.0
    assert metrics.output_chunks == 1


def test_a_typed_turn_has_no_voice_figures():
    metrics = TurnClock(started=1.0).metrics(now=2.0)
    assert metrics.first_audio_ms is None and metrics.speech_to_audio_ms is None

"""Where voice mode's sound comes from and goes to.

The app asks for its devices only on the first push-to-talk press, so the
sound libraries are imported then and text chat never needs them. Tests (and
machines without a microphone) inject another `VoiceDevices`: an array or WAV
source and a silent clock-driven speaker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rtchat.audio.support import load_sounddevice, require_input_device, rescan_devices, voice_problem, webrtc_problem

SourceFactory = Callable[[], Any]  # -> an AudioSource; raises AudioUnavailable with the one line to show
SpeakerFactory = Callable[[Any, Callable], Any]  # (jitter buffer, on_played) -> a speaker
ProblemCheck = Callable[[], "str | None"]  # None when voice can run here, else the one line why not


def no_problem() -> str | None:
    return None


@dataclass(frozen=True)
class VoiceDevices:
    source: SourceFactory
    speaker: SpeakerFactory
    problem: ProblemCheck = no_problem  # asked each time the protocols are offered; re-scans the devices


def system_devices(settings) -> VoiceDevices:
    """The configured (or default) microphone and output device, through PortAudio."""

    def microphone():
        load_sounddevice()
        rescan_devices()  # each press looks again: a PulseAudio started after rtchat is found
        require_input_device(settings.input_device)
        from rtchat.audio.sources import MicrophoneSource  # deferred: numpy, with the first voice use

        return MicrophoneSource(device=settings.input_device)

    def speaker(buffer, on_played):
        from rtchat.audio.playback import DeviceSpeaker  # deferred: numpy, with the first voice use

        return DeviceSpeaker(buffer, settings.output_device, on_played)

    def problem() -> str | None:
        return webrtc_problem() or voice_problem(device=settings.input_device, rescan=True)

    return VoiceDevices(microphone, speaker, problem)


def silent_devices(make_source: SourceFactory) -> VoiceDevices:
    """A given source and a speaker that keeps time without a sound card (tests, screenshots)."""

    def speaker(buffer, on_played):
        from rtchat.audio.playback import ClockSpeaker  # deferred: numpy, with the first voice use

        return ClockSpeaker(buffer, on_played)

    return VoiceDevices(make_source, speaker)

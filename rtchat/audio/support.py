"""Can this machine do voice? One line that says what is missing, never a traceback."""

from __future__ import annotations

from rtchat.errors import VoiceUnavailable


class AudioUnavailable(VoiceUnavailable):
    """Voice cannot start here; the message says what to install or plug in."""


def load_sounddevice():
    """The sounddevice module, or AudioUnavailable naming the missing piece."""
    try:
        import sounddevice
    except ImportError:
        raise AudioUnavailable("voice needs the voice extra: pip install 'rtchat[voice]'") from None
    except OSError:
        raise AudioUnavailable("voice needs PortAudio: install libportaudio2 (e.g. apt-get install libportaudio2)") from None
    return sounddevice


def load_aiortc():
    try:
        import aiortc
    except ImportError:
        raise AudioUnavailable("WebRTC needs the voice extra: pip install 'rtchat[voice]'") from None
    return aiortc


def has_device(kind: str, device=None) -> bool:
    """True when PortAudio sees an input (kind="input") or output device."""
    sd = load_sounddevice()
    try:
        sd.query_devices(device, kind=kind)
    except (ValueError, sd.PortAudioError):
        return False
    return True


def require_input_device(device=None) -> None:
    if not has_device("input", device):
        raise AudioUnavailable("no input device was found (PortAudio lists no microphone); text chat still works")


def voice_problem(need_input: bool = True) -> str | None:
    """None when voice can run, else the one line to show."""
    try:
        load_sounddevice()
        if need_input:
            require_input_device()
    except AudioUnavailable as exc:
        return str(exc)
    return None

"""Can this machine do voice? One line that says what is missing, never a traceback."""

from __future__ import annotations

import sys
from importlib.util import find_spec

from rtchat.compat import rescan_portaudio
from rtchat.errors import VoiceUnavailable

PORTAUDIO_HINT = {
    "linux": "install PortAudio: sudo apt-get install libportaudio2 (Debian/Ubuntu) or your distribution's portaudio package",
    "darwin": "install PortAudio: brew install portaudio",
}


def missing_voice_packages() -> str:
    """Voice packages are ordinary dependencies: missing ones mean a broken install, fixed with this Python's pip."""
    return f"rtchat's voice packages are missing from this Python; reinstall them with: {sys.executable} -m pip install aiortc sounddevice numpy"


def portaudio_hint() -> str:
    return PORTAUDIO_HINT.get(sys.platform, "install PortAudio for your system")


class AudioUnavailable(VoiceUnavailable):
    """Voice cannot start here; the message says what to install or plug in."""


def load_sounddevice():
    """The sounddevice module, or AudioUnavailable naming the missing piece."""
    try:
        import sounddevice  # deferred: sounddevice loads PortAudio, with the first voice use
    except ImportError:
        raise AudioUnavailable(missing_voice_packages()) from None
    except OSError:
        raise AudioUnavailable(f"voice needs PortAudio, which this system lacks: {portaudio_hint()}; text chat works without it") from None
    return sounddevice


def load_aiortc():
    try:
        import aiortc  # deferred: aiortc and PyAV (~300 ms), with the first WebRTC call
    except ImportError:
        raise AudioUnavailable(missing_voice_packages()) from None
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


def rescan_devices() -> None:
    """PortAudio lists the devices once, when it starts: start it afresh so a microphone (or a
    PulseAudio) that appeared since is seen. Only while no stream is open (voice mode closed)."""
    rescan_portaudio(load_sounddevice())


def voice_problem(need_input: bool = True, device=None, rescan: bool = False) -> str | None:
    """None when voice can run, else the one line to show."""
    try:
        load_sounddevice()
        if rescan:
            rescan_devices()
        if need_input:
            require_input_device(device)
    except AudioUnavailable as exc:
        return str(exc)
    return None


def webrtc_problem() -> str | None:
    """None when aiortc is installed (found without importing it: that costs ~300 ms), else the one line."""
    return None if find_spec("aiortc") is not None else missing_voice_packages()

"""The `[voice]` table of the config file, typed in config_rules (read once with the rest):

    [voice]
    ice_servers = ["stun:stun.l.google.com:19302",
                   {urls = "turn:turn.example.com:3478", username = "u", credential = "p"}]
    input_device = "pulse"      # a PortAudio device name or index
    output_device = "pulse"
    jitter_ms = 20              # playback prefill (aiortc's own jitter buffer holds 80 ms more)

Voice code takes `config.voice`; this name stays for the modules that import it from here.
"""

from __future__ import annotations

from rtchat.config_rules import VoiceSettings

__all__ = ["VoiceSettings"]

"""The `[voice]` table of the config file (read from the raw TOML, all optional):

    [voice]
    ice_servers = ["stun:stun.l.google.com:19302",
                   {urls = "turn:turn.example.com:3478", username = "u", credential = "p"}]
    input_device = "pulse"      # a PortAudio device name or index
    output_device = "pulse"
    jitter_ms = 20              # playback prefill (aiortc's own jitter buffer holds 80 ms more)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class VoiceSettings:
    ice_servers: list[Any] = field(default_factory=list)  # none: right for loopback and most home networks
    input_device: str | int | None = None
    output_device: str | int | None = None
    jitter_ms: float = 20.0  # aiortc already holds 4 frames (80 ms) against network jitter


def voice_settings(raw: dict) -> VoiceSettings:
    table = raw.get("voice") if isinstance(raw, dict) else None
    if not isinstance(table, dict):
        return VoiceSettings()
    servers = table.get("ice_servers") or []
    return VoiceSettings(
        ice_servers=list(servers) if isinstance(servers, list) else [servers],
        input_device=table.get("input_device"),
        output_device=table.get("output_device"),
        jitter_ms=float(table.get("jitter_ms", 20.0)),
    )

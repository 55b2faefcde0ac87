"""One line of facts: model, protocol, connection state, effort, and the live turn figures.

In voice mode the turn state gives way to the voice state (idle / listening /
thinking / speaking), with an input level meter while listening and the
voice connection's state and latency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import Static

from rtchat.events import Usage
from rtchat.metrics import TurnClock
from rtchat.ui.safe_text import literal

if TYPE_CHECKING:
    from rtchat.live.connection import LiveConnection

METER_CELLS = 8
METER_FLOOR_DBFS = -60.0  # quieter than this shows an empty meter


@dataclass
class StatusFacts:
    model: str = ""
    protocol: str = "sse"
    socket: str | None = None  # a live connection's state (idle | connecting | open | reconnecting | closed)
    state: str = "idle"  # idle | connecting | streaming | done | interrupted | error
    effort: str = "off"
    connect_ms: float | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    usage: Usage | None = None
    voice: str | None = None  # None outside voice mode; else opening | idle | listening | thinking | speaking
    voice_link: str | None = None  # "WebRTC connected", "WebSocket connecting", ...
    level_dbfs: float | None = None  # the microphone's level while listening
    first_audio_ms: float | None = None  # press-to-send -> first sound of the answer


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _tokens(value: int | None) -> str:
    return "–" if value is None else str(value)


def level_meter(dbfs: float | None, cells: int = METER_CELLS) -> str:
    """A small bar: empty at the floor (-60 dBFS), full at 0 dBFS."""
    if dbfs is None:
        return ""
    fraction = min(1.0, max(0.0, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS))
    filled = round(fraction * cells)
    return "█" * filled + "░" * (cells - filled)


def _voice_part(facts: StatusFacts) -> str:
    part = f"voice {facts.voice}"
    if facts.level_dbfs is not None:
        part += f" {level_meter(facts.level_dbfs)} {facts.level_dbfs:.0f} dB"
    if facts.voice_link:
        part += f" · {facts.voice_link}"
    return part


def format_status(facts: StatusFacts) -> str:
    usage = facts.usage or Usage()
    rate = "–" if facts.tokens_per_s is None else f"{facts.tokens_per_s:.0f} tok/s"
    protocol = facts.protocol.upper() if facts.protocol == "sse" else facts.protocol
    if facts.socket and facts.protocol != "sse":
        protocol += f" ({facts.socket})"
    if facts.voice is not None:
        return (
            f"{facts.model} · {_voice_part(facts)}"
            f" │ connect {_ms(facts.connect_ms)} · first audio {_ms(facts.first_audio_ms)}"
            f" · in {_tokens(usage.input_tokens)} out {_tokens(usage.output_tokens)}"
        )
    return (
        f"{facts.model} · {protocol} · {facts.state}"
        f" · effort {facts.effort}"
        f" │ connect {_ms(facts.connect_ms)} · ttft {_ms(facts.ttft_ms)} · {rate}"
        f" · in {_tokens(usage.input_tokens)} out {_tokens(usage.output_tokens)} cached {_tokens(usage.cached_tokens)}"
    )


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.facts = StatusFacts()
        self._shown = ""
        self._watched: LiveConnection | None = None  # the live connection whose state is shown

    def show(self, **changes) -> None:
        for name, value in changes.items():
            setattr(self.facts, name, value)
        text = format_status(self.facts)
        if text != self._shown:
            self._shown = text
            self.update(literal(text), layout=False)  # one line, always: no re-layout

    def show_clock(self, clock: TurnClock) -> None:
        """A turn's own clock (rtchat.metrics): the same figures the history and the bench keep."""
        self.show(connect_ms=clock.connect_ms, ttft_ms=clock.ttft_ms, tokens_per_s=clock.tokens_per_s, usage=clock.usage)

    def watch_connection(self, connection: LiveConnection | None) -> None:
        """Show the state of the socket or call a turn runs on, and follow it until another is watched."""
        if connection is None:
            self.show(socket=None)
            return
        if connection is not self._watched:
            self._watched = connection

            def changed(state: str) -> None:
                if connection is self._watched:
                    self.show(socket=state)

            connection.add_listener(changed)
        self.show(socket=connection.state)

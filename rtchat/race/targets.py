"""Which targets race: every model over every listed protocol, two to six of them.

Fewer than two is not a race; more than six no longer fits side by side and
multiplies the bill, so both are refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rtchat.catalog import protocol_name
from rtchat.session import PROTOCOLS

MIN_TARGETS, MAX_TARGETS = 2, 6


@dataclass(frozen=True)
class RaceSpec:
    """One racer: a model id and the protocol its turn goes over."""

    model: str
    protocol: str

    @property
    def label(self) -> str:
        """"loopback/echo · WebSocket": the protocol as the rest of the app names it."""
        return f"{self.model} · {protocol_name(self.protocol)}"


def parse_protocols(text: str) -> tuple[str, ...]:
    """`sse,websocket` -> ("sse", "websocket"); an unknown name raises ValueError."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in PROTOCOLS]
    if unknown or not names:
        raise ValueError(f"--protocols takes a comma-separated list of {', '.join(PROTOCOLS)} (got {text!r})")
    return names


def race_specs(models: Sequence[str], protocols: Sequence[str] | None, offered: Callable[[str], Sequence[str]]) -> list[RaceSpec]:
    """Every model over every protocol; with no protocols given, over each model's own (`offered`)."""
    specs = [RaceSpec(model, protocol) for model in models for protocol in (protocols or offered(model))]
    if not MIN_TARGETS <= len(specs) <= MAX_TARGETS:
        raise ValueError(f"a race needs {MIN_TARGETS} to {MAX_TARGETS} targets (models × protocols); this one has {len(specs)}")
    return specs

"""Whether a race spends money, asked before any request leaves (the CLI and the app ask the same)."""

from __future__ import annotations

from collections.abc import Sequence

from rtchat.bench.cost import REQUEST_OVERHEAD_TOKENS
from rtchat.catalog import parse_model_ref
from rtchat.config import Config
from rtchat.conversation import CHARS_PER_TOKEN
from rtchat.race.targets import RaceSpec
from rtchat.target import is_free


def paid_question(config: Config, specs: Sequence[RaceSpec], prompt: str) -> str | None:
    """What to ask before a race that spends money; None when every target is free (loopback, local)."""
    paid = []
    for spec in specs:
        provider = config.catalog.provider(parse_model_ref(spec.model).provider)
        if not is_free(provider.id, provider.base_url or ""):
            paid.append(spec)
    if not paid:
        return None
    tokens = len(prompt) // CHARS_PER_TOKEN + REQUEST_OVERHEAD_TOKENS
    names = ", ".join(sorted({parse_model_ref(spec.model).provider for spec in paid}))
    return f"This race spends tokens on {names} (paid): {len(paid)} target(s), ~{tokens:,} input tokens each plus each full answer."

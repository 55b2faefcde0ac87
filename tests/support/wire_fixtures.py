"""The recorded SSE streams under tests/fixtures/sse and the wire each one speaks."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sse"
PREFIX_TO_WIRE = {
    "anthropic": "anthropic",
    "openai_chat": "openai_chat",
    "deepseek": "openai_chat",
    "openrouter": "openai_chat",
    "gemini": "gemini",
    "openai_responses": "openai_responses",
}


def wire_for(path: Path) -> str:
    for prefix, wire in PREFIX_TO_WIRE.items():
        if path.name.startswith(prefix):
            return wire
    raise AssertionError(f"no wire for {path.name}")


CASES = sorted(p for p in FIXTURES.glob("*.sse") if p.with_suffix(".expected.json").exists()) if FIXTURES.exists() else []

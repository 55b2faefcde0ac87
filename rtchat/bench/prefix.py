"""The long, fixed prefix of the cache pass.

Providers cache prompt prefixes only past a minimum length (OpenAI: 1,024
tokens), so the prefix is ~1,500 words of deterministic text; the "without"
turns put a fresh nonce in front of it so no cache can match.
"""

from __future__ import annotations

import uuid

WORDS = (
    "latency", "stream", "token", "socket", "handshake", "buffer", "frame", "cipher", "packet", "window",
    "session", "decoder", "channel", "credit", "backoff", "jitter", "clock", "queue", "render", "cache",
)
SENTENCES = 150  # x 10 words: comfortably past every provider's cache minimum


def shared_prefix() -> str:
    """Reference notes the model is told to ignore; identical on every call."""
    lines = ["The following reference notes are context only; do not summarise them."]
    for index in range(SENTENCES):
        words = [WORDS[(index * 7 + step * 3) % len(WORDS)] for step in range(9)]
        lines.append(f"Note {index + 1}: " + " ".join(words) + ".")
    return "\n".join(lines)


def fresh_prefix() -> str:
    """The same notes behind a unique first line, so a prefix cache cannot hit."""
    return f"Request {uuid.uuid4().hex}.\n" + shared_prefix()

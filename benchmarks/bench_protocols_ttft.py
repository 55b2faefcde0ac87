"""Time to first token, first turn and later turns, SSE vs WebSocket (loopback in its own process).

The WebSocket pays its handshake once per conversation; later turns reuse the
socket, so their TTFT shows what the saved handshake is worth.

    python -m benchmarks.bench_protocols_ttft [--conversations 20] [--turns 4] [--json out.json]
"""

from __future__ import annotations

import argparse

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import run_per_protocol, describe, write_json


async def measure(url: str, protocol: str, conversations: int, turns: int) -> dict:
    from rtchat.config import load_config
    from rtchat.conversation import ChatMessage, Conversation
    from rtchat.events import TextDelta
    from rtchat.session import Session

    first, later, connect_first, connect_later = [], [], [], []
    for _ in range(conversations):
        session = Session(load_config())  # a fresh session: no pooled HTTP connection either
        target = await session.resolve("loopback/echo@rate=0", url + "/v1")
        conversation = Conversation()
        try:
            for index in range(turns):
                conversation.add_user(f"message {index}")
                turn = session.turn(target, conversation, "off", protocol=protocol)
                text = "".join([e.text async for e in turn.events() if isinstance(e, TextDelta)])
                conversation.messages.append(ChatMessage("assistant", text))
                (first if index == 0 else later).append(turn.stats().ttft_ms)
                (connect_first if index == 0 else connect_later).append(turn.stats().connect_ms or 0.0)
        finally:
            await session.aclose()
    return {
        "ttft_first_turn_ms": describe(first),
        "ttft_later_turns_ms": describe(later),
        "connect_first_turn_ms": describe(connect_first),
        "connect_later_turns_ms": describe(connect_later),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = run_per_protocol(measure, args.conversations, args.turns)
    write_json(args.json, results)


if __name__ == "__main__":
    main()

"""The figures the seed article quotes, printed beside what `rtchat bench` measured.

Quoted, never measured here: the table, `--json` and the chart label them "seed". Only the
figures the article gives are kept; a row it does not quote has none.
"""

from __future__ import annotations

# The protocol comparison's latency row, as the article words it (it gives no per-protocol milliseconds we keep).
PROTOCOL_LATENCY = {"sse": "moderate", "websocket": "low", "webrtc": "ultra-low"}

# Thinking budget -> (time to the first answer token in ms, answer tokens/s).
THINKING = {"off": (400.0, 45.0), "1K": (1200.0, 45.0), "4K": (4500.0, 40.0), "16K": (18000.0, 30.0)}

# DeepSeek V4's prompt cache: first byte on a miss and on a hit (ms), and the discount on cached input.
CACHE_TTFT_MISS_MS = 350.0
CACHE_TTFT_HIT_MS = 45.0
CACHE_INPUT_SAVING = 0.90  # "up to 90% off cached input"


def as_json() -> dict:
    return {
        "protocol_latency": PROTOCOL_LATENCY,
        "thinking": {budget: {"ttft_ms": ttft, "tokens_per_s": rate} for budget, (ttft, rate) in THINKING.items()},
        "cache": {"ttft_miss_ms": CACHE_TTFT_MISS_MS, "ttft_hit_ms": CACHE_TTFT_HIT_MS, "input_saving": CACHE_INPUT_SAVING},
    }

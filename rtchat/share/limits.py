"""How each provider takes shared frames, and who cannot take them at all.

Gemini Live watches a video stream: frames go continuously, at most 1 per second (the
Live API's documented video rate), 768 px on the long side (its documented tile size).
OpenAI Realtime takes images, not video: the latest frame goes with each user turn;
OpenAI's vision guide scales a detailed image to fit 2048 px and then 768 px on its short
side, so nothing larger is worth sending. HTTP models get the latest frame with the next
prompt, sized for their provider (Anthropic's guide: 1568 px on the long side).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rtchat.share.frames import ScaleRule
from rtchat.target import Target

DEFAULT_FPS = 1.0
Delivery = Literal["stream", "per_turn"]


@dataclass(frozen=True)
class ShareLimits:
    """What a provider does with frames: streams them (`stream`) or takes the latest with
    each turn (`per_turn`); the highest useful rate; the size worth sending."""

    delivery: Delivery
    max_fps: float
    scale: ScaleRule
    max_bytes: int | None = None  # a frame's JPEG at most this big (None: no bound)


LIVE = ShareLimits("stream", 1.0, ScaleRule(768))
OPENAI = ShareLimits("per_turn", 1.0, ScaleRule(2048, 768))
BY_WIRE = {
    "gemini": ShareLimits("per_turn", 1.0, ScaleRule(768)),
    "anthropic": ShareLimits("per_turn", 1.0, ScaleRule(1568)),
    "openai_chat": OPENAI,
    "openai_responses": OPENAI,
    "azure_chat": OPENAI,
}
OTHER = ShareLimits("per_turn", 1.0, ScaleRule(1568))
# A WebRTC data channel message is at most 64 KB unless the far end's SDP names more (aiortc's
# default for a peer that says nothing); the frame rides base64 inside a JSON event, so 44 KB of JPEG.
DATA_CHANNEL_JPEG = 44_000
SUGGESTION = "gemini/gemini-live-2.5-flash-preview (--protocol websocket), openai/gpt-realtime, or an HTTP model that reads images"


def share_note(limits: ShareLimits, target: Target) -> str:
    """Said once when a share starts: where its frames go."""
    if limits.delivery == "stream":
        return f"frames stream into {target.ref}'s Live session at up to {limits.max_fps:g} per second, beside your words and voice"
    return f"{target.ref} takes images, not video: the latest frame goes with each of your turns"


def limits_for(target: Target, socket_wire: str | None, protocol: str = "websocket") -> ShareLimits:
    """The limits of a turn to `target` on `socket_wire` (None: over HTTP) over `protocol`."""
    if socket_wire == "gemini_live":
        return LIVE
    if socket_wire == "openai_realtime":
        return replace(OPENAI, max_bytes=DATA_CHANNEL_JPEG) if protocol == "webrtc" else OPENAI
    return BY_WIRE.get(target.provider.wire, OTHER)


def share_refusal(target: Target, protocol: str, socket_wire: str | None = None, dialect: str | None = None) -> str | None:
    """Why frames cannot go to `target` over `protocol` (None: they can), in one line naming
    what would work. `socket_wire` is the wire of a WebSocket/WebRTC turn (None over SSE);
    `dialect` a Realtime server's announced one when known (else the configured one)."""
    accepts = target.info.accepts
    if accepts is not None and "image" not in accepts:
        return f"{target.ref} reads no images (it takes {', '.join(accepts)}); share with {SUGGESTION}"
    if protocol == "sse":
        return None
    if socket_wire == "deepseek_socket":
        return f"the DeepSeek socket carries text only; share over --protocol sse with a model that reads images, or with {SUGGESTION}"
    if socket_wire == "openai_realtime" and (dialect or target.realtime_dialect) == "beta":
        return "this Realtime server speaks the beta dialect, which cannot carry image bytes; share with a GA Realtime model (openai/gpt-realtime) or over --protocol sse"
    if socket_wire not in ("gemini_live", "openai_realtime", "openai_responses_ws"):
        return f"a {protocol} session of {target.ref} cannot carry images; share with {SUGGESTION}"
    return None

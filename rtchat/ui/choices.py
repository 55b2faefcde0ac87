"""What the user has chosen for the conversation: model, effort, protocol, and the rules for cycling them."""

from __future__ import annotations

from rtchat.catalog import EFFORTS, PROTOCOL_NAMES, PROTOCOLS, ModelInfo, protocol_name
from rtchat.session import PROTOCOLS as IMPLEMENTED_PROTOCOLS


DEFAULT_EFFORT = "default"  # no effort is sent: the provider's own default applies


def efforts_for(info: ModelInfo) -> tuple[str, ...]:
    """Models that cannot think only offer "off"; those without a catalogued default also offer
    "default" (send none), which ctrl+r returns to after "max"."""
    if info.thinking is False:
        return ("off",)
    return EFFORTS if info.default_effort else EFFORTS + (DEFAULT_EFFORT,)


def next_effort(current: str, info: ModelInfo) -> str:
    options = efforts_for(info)
    if current not in options:
        return options[0]
    return options[(options.index(current) + 1) % len(options)]


def protocol_options(info: ModelInfo, unusable: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    """Every protocol with the reason it cannot be used (None when it can); `unusable`: what this machine lacks."""
    options = []
    for protocol in PROTOCOLS:
        if protocol not in info.protocols:
            reason = f"{info.id} does not support {PROTOCOL_NAMES[protocol]}"
        else:
            reason = (unusable or {}).get(protocol)
        options.append((protocol, reason))
    return options


def next_protocol(current: str, info: ModelInfo, unusable: dict[str, str] | None = None) -> str:
    usable = [p for p in PROTOCOLS if p in info.protocols and p not in (unusable or {})] or ["sse"]
    if current not in usable:
        return usable[0]
    return usable[(usable.index(current) + 1) % len(usable)]


def initial_protocol(ref: str, info: ModelInfo, remembered: dict[str, str], requested: str | None) -> str:
    """--protocol, else the one remembered for this model, else the first the model supports."""
    for choice in (requested, remembered.get(ref)):
        if choice and choice in info.protocols:
            return choice
    return "sse" if "sse" in info.protocols else (info.protocols[0] if info.protocols else "sse")


def not_implemented_message(protocol: str, talk_key: str = "f3", protocol_key: str = "ctrl+n") -> str | None:
    if protocol in IMPLEMENTED_PROTOCOLS:
        return None
    if protocol == "webrtc":
        return (
            f"WebRTC in rtchat carries voice: press {talk_key} to talk and {talk_key} again to send. "
            f"For typed messages switch to {' or '.join(PROTOCOL_NAMES[p] for p in IMPLEMENTED_PROTOCOLS)} with {protocol_key}."
        )
    return (
        f"the {protocol_name(protocol)} transport is not implemented for text chat in this version of rtchat; "
        f"{' and '.join(PROTOCOL_NAMES[p] for p in IMPLEMENTED_PROTOCOLS)} work. Press {protocol_key} to switch protocol."
    )

"""What to tell the server when the user cuts an answer short, in order:
stop generating, drop what the server still has queued for us (WebRTC only),
then say how much was actually heard so the conversation keeps only that.
Local playback is flushed between the clear and the truncate, so the played
milliseconds are final when the truncate is built.
"""

from __future__ import annotations

from rtchat.wire import openai_realtime as rt


def stop_events(response_active: bool, webrtc: bool) -> list[dict]:
    events = [rt.response_cancel()] if response_active else []
    if webrtc:
        events.append(rt.output_audio_clear())
    return events


def truncate_event(item_id: str | None, played_ms: int) -> list[dict]:
    return [rt.item_truncate(item_id, played_ms)] if item_id else []

"""OpenAI Realtime (GA names): client events to send, server events decoded.

The same JSON events travel over the WebSocket and over the WebRTC data
channel, so both transports share this module. Pure: dicts in, dicts out.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from rtchat.conversation import ChatMessage
from rtchat.events import AudioChunk, Done, Error, Event, Notice, TextDelta, Transcript, Usage
from rtchat.wire.base import done_reason, preview

AUDIO_RATE = 24000

DONE_STATUS = {"completed": "complete", "cancelled": "interrupted"}
INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "refusal"}


# ---- client events


def session_update(modalities: list[str], instructions: str | None = None, voice: str | None = None, transcribe: bool = False) -> dict:
    """Push-to-talk: no server VAD, PCM16 at 24 kHz in and out."""
    audio_input: dict[str, Any] = {"format": {"type": "audio/pcm", "rate": AUDIO_RATE}, "turn_detection": None}
    if transcribe:
        audio_input["transcription"] = {"model": "gpt-4o-mini-transcribe"}
    session: dict[str, Any] = {
        "type": "realtime",
        "output_modalities": modalities,
        "audio": {"input": audio_input, "output": {"format": {"type": "audio/pcm", "rate": AUDIO_RATE}}},
    }
    if voice:
        session["audio"]["output"]["voice"] = voice
    if instructions:
        session["instructions"] = instructions
    return {"type": "session.update", "session": session}


def item_create(message: ChatMessage) -> dict:
    """One conversation message, to (re)build context on a fresh socket."""
    kind = "input_text" if message.role == "user" else "output_text"
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": message.role, "content": [{"type": kind, "text": message.text}]},
    }


def response_create(**response: Any) -> dict:
    return {"type": "response.create", "response": response} if response else {"type": "response.create"}


def response_cancel() -> dict:
    return {"type": "response.cancel"}


def audio_append(pcm16: bytes) -> dict:
    return {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm16).decode("ascii")}


def audio_commit() -> dict:
    return {"type": "input_audio_buffer.commit"}


def audio_clear() -> dict:
    return {"type": "input_audio_buffer.clear"}


def output_audio_clear() -> dict:
    """WebRTC only: drop audio the server has queued but not yet sent."""
    return {"type": "output_audio_buffer.clear"}


def item_truncate(item_id: str, audio_end_ms: int, content_index: int = 0) -> dict:
    """Tell the server how much of an answer was actually heard, after a barge-in."""
    return {"type": "conversation.item.truncate", "item_id": item_id, "content_index": content_index, "audio_end_ms": audio_end_ms}


# ---- server events


def usage_from(usage: dict) -> Usage:
    details = usage.get("input_token_details") or {}
    return Usage(usage.get("input_tokens"), usage.get("output_tokens"), details.get("cached_tokens"), None)


class RealtimeDecoder:
    """Server events to rtchat events; remembers what a transport needs (ids, state)."""

    def __init__(self) -> None:
        self.session_ready = False
        self.response_active = False
        self.current_item_id: str | None = None

    def feed_text(self, frame: str | bytes) -> list[Event]:
        try:
            payload = json.loads(frame)
        except (ValueError, RecursionError):
            return [Notice(f"skipped a malformed frame: {preview(str(frame)[:200])}", "warning")]
        if not isinstance(payload, dict):
            return [Notice(f"skipped a frame that is not an event: {preview(str(frame)[:200])}", "warning")]
        try:
            return self.feed(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return [Notice(f"skipped a frame rtchat could not read ({type(exc).__name__})", "warning")]

    def feed(self, payload: dict) -> list[Event]:
        kind = payload.get("type", "")
        if kind in ("session.created", "session.updated"):
            self.session_ready = True
            return []
        if kind == "response.created":
            self.response_active = True
            return []
        if kind == "response.output_item.added":
            item = payload.get("item") or {}
            if item.get("type") == "message":
                self.current_item_id = item.get("id")
            return []
        if kind == "response.output_text.delta":
            return [TextDelta(payload["delta"])] if payload.get("delta") else []
        if kind == "response.output_audio_transcript.delta":
            return [Transcript("assistant", payload["delta"])] if payload.get("delta") else []
        if kind == "response.output_audio.delta":
            return [AudioChunk(base64.b64decode(payload.get("delta", "")), AUDIO_RATE)]
        if kind == "conversation.item.input_audio_transcription.completed":
            return [Transcript("user", payload.get("transcript", ""), final=True)]
        if kind == "response.done":
            self.response_active = False
            response = payload.get("response") or {}
            events: list[Event] = []
            if response.get("usage"):
                events.append(usage_from(response["usage"]))
            status = response.get("status", "completed")
            details = response.get("status_details") or {}
            if status == "failed":
                error = details.get("error") or {}
                return events + [Error("server", f"the response failed: {error.get('message') or error.get('type') or 'no reason given'}"), Done("error")]
            if status == "incomplete":
                return events + [Done(INCOMPLETE_REASONS.get(details.get("reason", ""), "length"))]
            return events + [Done(done_reason(DONE_STATUS, status))]
        if kind == "error":
            error = payload.get("error") or {}
            code = error.get("code") or error.get("type") or "error"
            if code == "response_cancel_not_active":
                return []  # a cancel that raced the end of the answer: harmless
            kind_name = "auth" if "auth" in str(code) or "key" in str(code) else "server"
            return [Error(kind_name, f"the realtime server reported {code}: {error.get('message', '')}".rstrip(": "))]
        return []

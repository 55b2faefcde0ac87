"""Conversations out of the history: Markdown to read, JSON to keep everything.

Model output is untrusted text: an exported file may later be `cat` to a
terminal, so the Markdown export turns control characters (ESC, the other C0
controls but newline and tab, DEL, C1) into U+FFFD. The JSON text written by
`dump_json` escapes them instead, losslessly.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from rtchat.conversation import ThinkingBlock
from rtchat.store import ConversationRecord, MessageRecord

EXPORT_FORMAT = "rtchat.conversation"
EXPORT_VERSION = 1

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def inert(text: str | None) -> str:
    """Text safe to print: CRLF becomes LF, every other control character becomes U+FFFD."""
    if not text:
        return ""
    return _CONTROLS.sub("\ufffd", text.replace("\r\n", "\n"))


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _thinking_markdown(blocks: list[ThinkingBlock]) -> str:
    parts = []
    for block in blocks:
        if block.text:
            parts.append(inert(block.text))
        elif block.redacted:
            parts.append("_(redacted by the provider)_")
    if not parts:
        return ""
    body = "\n\n".join(parts)
    return f"<details><summary>Thinking</summary>\n\n{body}\n\n</details>"


def _status_line(message: MessageRecord) -> str:
    if message.status == "interrupted":
        return "_(interrupted: the answer is incomplete)_"
    if message.status == "streaming":
        return "_(still streaming when exported)_"
    if message.status == "error":
        kind = f" ({inert(message.error_kind)})" if message.error_kind else ""
        detail = f": {inert(message.error)}" if message.error else ""
        return f"**Error{kind}**{detail}"
    return ""


def export_markdown(record: ConversationRecord, messages: list[MessageRecord]) -> str:
    """A readable document: title, model and date, then each prompt and answer."""
    lines = [
        f"# {inert(record.title) or 'Untitled conversation'}",
        "",
        f"- Model: {inert(record.model)}",
        f"- Protocol: {inert(record.protocol)}",
        f"- Started: {_when(record.created)}",
    ]
    if record.system:
        lines += ["", "**System prompt**", "", _quote(inert(record.system))]
    for message in messages:
        lines += ["", "---", ""]
        text = inert(message.text)
        spoken = inert(message.transcript)
        if message.role == "user":
            lines += ["**You**", "", _quote(text or spoken)]
            continue
        model = f" ({inert(message.model)})" if message.model else ""
        lines.append(f"**Assistant**{model}")
        thinking = _thinking_markdown(message.thinking)
        if thinking:
            lines += ["", thinking]
        if text:
            lines += ["", text]
        if spoken and spoken != text:
            lines += ["", "_Spoken:_", "", _quote(spoken)]
        status = _status_line(message)
        if status:
            lines += ["", status]
    return "\n".join(lines) + "\n"


def export_json(record: ConversationRecord, messages: list[MessageRecord]) -> dict[str, Any]:
    """Everything the history holds about one conversation, as plain JSON data."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "conversation": asdict(record),
        "messages": [asdict(message) for message in messages],
    }


def records_from_json(data: dict[str, Any]) -> tuple[ConversationRecord, list[MessageRecord]]:
    """The inverse of `export_json`."""
    if data.get("format") != EXPORT_FORMAT:
        raise ValueError("not an rtchat conversation export")
    if data.get("version") != EXPORT_VERSION:
        raise ValueError(f"unsupported rtchat export version {data.get('version')!r}")
    record = ConversationRecord(**data["conversation"])
    messages = []
    for item in data["messages"]:
        fields = dict(item)
        fields["thinking"] = [ThinkingBlock(**block) for block in fields.get("thinking", [])]
        messages.append(MessageRecord(**fields))
    return record, messages


def dump_json(data: dict[str, Any]) -> str:
    """JSON text that keeps non-ASCII readable but escapes DEL, C1 and line separators
    (json.dumps already escapes C0 and ESC), so no control byte reaches a terminal."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _JSON_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

"""Conversations out of the history: Markdown to read, JSON to keep everything.

Model output is untrusted text. An exported file may later be `cat` to a
terminal, so the Markdown export turns control characters (ESC, the other C0
controls but newline and tab, DEL, C1) into U+FFFD and names bidi controls;
`dump_json` escapes them instead, losslessly, and writes strict JSON.

It may also be opened in a viewer that renders HTML, so no model text carries
raw HTML into the Markdown: `<` outside code becomes `&lt;` (code blocks and
spans show it as it is, where it cannot act), a fence left open is closed, and
the result is checked with a CommonMark parser; if that parser still finds
HTML, every `<` is escaped. Thinking therefore cannot close its `<details>`.

Tool calls and results are shown folded, each in a `<details>` whose body is fenced code
blocks with a fence longer than any backtick run inside: whatever a tool returns (a fence,
a `</details>`, a `<script>`) is code text there, and its one-line summary is escaped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from markdown_it import MarkdownIt

from rtchat.attachments import Attachment
from rtchat.conversation import ThinkingBlock, ToolCall, ToolResult, ToolRound
from rtchat.pricing import format_usd
from rtchat.sanitize import strict_json, terminal_safe
from rtchat.store import ConversationRecord, MessageRecord, call_from_dict, is_unpriced, one_line, round_from_dict, round_json

EXPORT_FORMAT = "rtchat.conversation"
EXPORT_VERSION = 2  # 2: answers carry `rounds` and `open_calls` (tool steps); 1 is still read
READABLE_VERSIONS = (1, 2)

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)\1(?!`)")  # within a paragraph
_COMMONMARK = MarkdownIt("commonmark")  # html on: it must see what a renderer would


def inert(text: str | None) -> str:
    """Text safe to print: CRLF becomes LF, every other control character becomes U+FFFD,
    bidi controls a visible [U+202E]."""
    if not text:
        return ""
    return terminal_safe(_CONTROLS.sub("\ufffd", text.replace("\r\n", "\n")))


def _escape_outside_spans(chunk: str) -> str:
    out, start = [], 0
    for span in _CODE_SPAN.finditer(chunk):
        out += [chunk[start : span.start()].replace("<", "&lt;"), span.group()]
        start = span.end()
    out.append(chunk[start:].replace("<", "&lt;"))
    return "".join(out)


def _code_lines(text: str) -> set[int]:
    return {
        line
        for token in _COMMONMARK.parse(text)
        if token.type in ("fence", "code_block") and token.map
        for line in range(*token.map)
    }


def _has_html(text: str) -> bool:
    for token in _COMMONMARK.parse(text):
        if token.type == "html_block" or any(child.type == "html_inline" for child in token.children or ()):
            return True
    return False


def _close_open_fence(text: str) -> str:
    """A top-level fence still open at the end would swallow what follows (a `</details>`)."""
    lines = text.split("\n")
    content_lines = len(text.rstrip("\n").split("\n"))
    for token in _COMMONMARK.parse(text):
        if token.type == "fence" and token.level == 0 and token.map and token.map[1] >= content_lines:
            start, end = token.map
            line = lines[end - 1] if end - 1 < len(lines) else ""
            last = line.strip()
            indent = len(line) - len(line.lstrip(" "))
            closed = end - start > 1 and indent <= 3 and last.startswith(token.markup) and set(last) == {token.markup[0]}
            if not closed:
                return f"{text.rstrip(chr(10))}\n{token.markup}"
    return text


def markdown_text(text: str) -> str:
    """Model text as Markdown that renders as text: no raw HTML, no open fence."""
    lines = text.split("\n")
    code = _code_lines(text)
    out: list[str] = []
    chunk: list[str] = []
    for number, line in enumerate(lines):
        if number in code:
            if chunk:
                out.append(_escape_outside_spans("\n".join(chunk)))
                chunk = []
            out.append(line)
        else:
            chunk.append(line)
    if chunk:
        out.append(_escape_outside_spans("\n".join(chunk)))
    escaped = "\n".join(out)
    if _has_html(escaped):
        escaped = text.replace("<", "&lt;")
    return _close_open_fence(escaped)


def _plain(text: str | None) -> str:
    """A one-line field (title, model, error) with no markup of its own."""
    return inert(text).replace("<", "&lt;")


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _thinking_markdown(blocks: list[ThinkingBlock]) -> str:
    parts = []
    for block in blocks:
        if block.text:
            parts.append(markdown_text(inert(block.text)))
        elif block.redacted:
            parts.append("_(redacted by the provider)_")
    if not parts:
        return ""
    body = "\n\n".join(parts)
    return f"<details><summary>Thinking</summary>\n\n{body}\n\n</details>"


def _fenced(text: str, info: str = "") -> str:
    """`text` as a fenced code block nothing inside can close: its fence is longer than any
    run of backticks in it (and a backtick fence is not closed by tildes)."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _ms(ms: float | None) -> str:
    if ms is None:
        return ""
    return f" · {ms:.0f} ms" if ms >= 1 else f" · {ms:.1f} ms"


def _tool_summary(call: ToolCall, result: ToolResult | None) -> str:
    """`tool time_now · 3 ms`: one escaped line (a tool name is the model's text)."""
    name = _plain(one_line(call.name or (result.name if result else ""))) or "(unnamed)"
    if result is None:
        return f"tool {name} · no result (the turn was stopped)"
    status = "" if result.status == "ok" and not result.is_error else f" · {_plain(one_line(result.status if result.status != 'ok' else 'error'))}"
    return f"tool {name}{status}{_ms(result.ms)}"


def _tool_call_markdown(call: ToolCall, result: ToolResult | None) -> str:
    """One call, folded: its arguments as the model sent them, then what came back."""
    parts = [f"<details><summary>{_tool_summary(call, result)}</summary>", "", "Arguments:", "", _fenced(inert(call.arguments), "json" if call.parsed() is not None else "")]
    if result is not None:
        parts += ["", "Result:", "", _fenced(inert(result.output))]
    return "\n".join(parts + ["", "</details>"])


def _rounds_markdown(rounds: list[ToolRound], open_calls: list[ToolCall]) -> list[str]:
    """An answer's tool steps in the order they happened: each step's thinking, words and calls."""
    lines: list[str] = []
    for step in rounds:
        thinking = _thinking_markdown(step.thinking)
        if thinking:
            lines += ["", thinking]
        if step.text:
            lines += ["", markdown_text(inert(step.text))]
        results = {result.call_id: result for result in step.results}
        shown = [(call, results.pop(call.id, None)) for call in step.calls]
        shown += [(ToolCall(result.call_id, result.name), result) for result in results.values()]  # a result for no call: still shown
        lines += [line for call, result in shown for line in ("", _tool_call_markdown(call, result))]
    lines += [line for call in open_calls for line in ("", _tool_call_markdown(call, None))]
    return lines


def _status_line(message: MessageRecord) -> str:
    if message.status == "interrupted":
        return "_(interrupted: the answer is incomplete)_"
    if message.status == "streaming":
        return "_(still streaming when exported)_"
    if message.status == "error":
        kind = f" ({_plain(message.error_kind)})" if message.error_kind else ""
        detail = f": {_plain(message.error)}" if message.error else ""
        return f"**Error{kind}**{detail}"
    return ""


def export_markdown(record: ConversationRecord, messages: list[MessageRecord]) -> str:
    """A readable document: title, model and date, then each prompt and answer.

    Given every branch (`load_conversation(..., all_branches=True)`), the current
    branch comes first, whole, then each other branch from where it forks."""
    lines = _markdown_head(record)
    if all(m.on_path for m in messages):  # one branch: the conversation as it reads
        for message in messages:
            lines += _message_markdown(message)
        return "\n".join(lines) + "\n"
    paths = branch_paths(messages)
    shown: set[int] = set()
    for number, path in enumerate(paths, start=1):
        current = " (current)" if path[-1].on_path else ""
        lines += ["", "---", "", f"## Branch {number} of {len(paths)}{current}"]
        fork = next((i for i, m in enumerate(path) if m.id not in shown), len(path))
        if fork:
            who = "your prompt" if path[fork - 1].role == "user" else "the answer"
            lines += ["", f"_Forks after #{fork}, {who} “{_snippet(path[fork - 1])}”._"]
        for position, message in enumerate(path[fork:], start=fork + 1):
            shown.add(message.id)
            lines += _message_markdown(message, position)
    return "\n".join(lines) + "\n"


def branch_paths(messages: list[MessageRecord]) -> list[list[MessageRecord]]:
    """Every branch from its first prompt to its last message: the current one first, the
    others in the order they were last written to."""
    by_id = {m.id: m for m in messages}
    parents = {m.parent_id for m in messages}
    leaves = [m for m in messages if m.id not in parents]
    paths = []
    for leaf in leaves:
        path, node, seen = [], leaf, set()
        while node is not None and node.id not in seen:  # a damaged file's parent_id cycle ends the walk
            seen.add(node.id)
            path.append(node)
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        paths.append(path[::-1])
    return sorted(paths, key=lambda path: (not path[-1].on_path, path[-1].seq))


def _snippet(message: MessageRecord, limit: int = 40) -> str:
    words = " ".join(inert(message.text or message.transcript).split())
    if not words:  # an answer that only called tools (its turn stopped before it said anything)
        calls = [call for step in message.rounds for call in step.calls] + message.open_calls
        words = " ".join(inert("tools: " + ", ".join(dict.fromkeys(call.name for call in calls))).split()) if calls else ""
    return _plain(words if len(words) <= limit else words[:limit] + "…")


def _markdown_head(record: ConversationRecord) -> list[str]:
    lines = [
        f"# {_plain(record.title) or 'Untitled conversation'}",
        "",
        f"- Model: {_plain(record.model)}",
        f"- Protocol: {_plain(record.protocol)}",
        f"- Started: {_when(record.created)}",
    ]
    if record.system:
        lines += ["", "**System prompt**", "", _quote(markdown_text(inert(record.system)))]
    return lines


def _message_markdown(message: MessageRecord, position: int | None = None) -> list[str]:
    """One prompt or answer (numbered on its branch when the export has branches)."""
    lines = ["", "---", ""]
    number = "" if position is None else f" #{position}"
    text = markdown_text(inert(message.text)) if message.text else ""
    spoken = markdown_text(inert(message.transcript)) if message.transcript else ""
    if message.role == "user":
        lines += [f"**You**{number}", "", _quote(text or spoken)]
        lines += [f"> 📎 {_plain(a.name)} ({a.size_label}, {_plain(a.media_type)})" for a in message.attachments]
        lines += [f"> 📎 {_plain(name)} (missing: its file is no longer in the history)" for name in message.missing_attachments]
        return lines
    model = f" ({_plain(message.model)})" if message.model else ""
    lines.append(f"**Assistant**{number}{model}")
    lines += _rounds_markdown(message.rounds, message.open_calls)
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
    if message.cost_usd is not None:
        saved = f" · cache saved {format_usd(message.saved_usd)}" if message.saved_usd else ""
        lines += ["", f"_cost {format_usd(message.cost_usd)} ({_plain(message.cost_source or 'table')}){saved}_"]
    elif is_unpriced(message):
        lines += ["", "_cost unknown (no price for this model, and the server said none)_"]
    return lines


def export_json(record: ConversationRecord, messages: list[MessageRecord]) -> dict[str, Any]:
    """Everything the history holds about one conversation, as plain JSON data. Each message
    names its `parent_id` and whether it is `on_path`; `branches` lists each branch's message
    ids, first prompt to last message, the current branch first."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "conversation": asdict(record),
        "messages": [_message_json(message) for message in messages],
        "branches": [[m.id for m in path] for path in branch_paths(messages)],
    }


def _message_json(message: MessageRecord) -> dict[str, Any]:
    data = asdict(message)
    data["attachments"] = [
        {"name": a.name, "media_type": a.media_type, "bytes": len(a.data), "sha256": a.sha256, "data_base64": a.base64()}
        for a in message.attachments
    ]
    data["rounds"] = [round_json(step) for step in message.rounds]
    return data


def records_from_json(data: dict[str, Any]) -> tuple[ConversationRecord, list[MessageRecord]]:
    """The inverse of `export_json`."""
    if data.get("format") != EXPORT_FORMAT:
        raise ValueError("not an rtchat conversation export")
    if data.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"unsupported rtchat export version {data.get('version')!r}")
    record = ConversationRecord(**data["conversation"])
    messages = []
    for item in data["messages"]:
        fields = dict(item)
        fields["thinking"] = [ThinkingBlock(**block) for block in fields.get("thinking", [])]
        fields["attachments"] = [Attachment(a["name"], a["media_type"], base64.b64decode(a["data_base64"])) for a in fields.get("attachments", [])]
        fields["rounds"] = [round_from_dict(step) for step in fields.get("rounds", [])]
        fields["open_calls"] = [call_from_dict(call) for call in fields.get("open_calls", [])]
        messages.append(MessageRecord(**fields))
    return record, messages


def dump_json(data: dict[str, Any]) -> str:
    """Strict JSON (RFC 8259) that keeps non-ASCII readable and escapes every control and
    bidi character, so none reaches a terminal; numbers JSON cannot hold become null."""
    return strict_json(data, indent=2)

"""The loopback `tools` model's mind: which tools it calls, with what, and what it says after.

Pure and deterministic (no I/O, no clock, no wire words): the same offered tools, prompt and
results always give the same next step. So every wire can render it (HTTP and sockets alike),
and a follow-up can be checked without keeping state: replay the model on the request's own
prompt and tools, and compare what the client says the model sent with what it would have sent.

Rules:
- `name(key=value, ...)` in the prompt, for an offered tool, calls it with those arguments
  (values are JSON literals where they parse, else strings; a value without `key=` fills the
  schema's properties in order). Several of them are called in parallel, in one step; the word
  "then" between two of them starts a new step (a chain: one step after the other's result).
- Otherwise the first offered tool is called once, with a sample of each required property.
- Once every step has its results, the answer quotes them ("time__now returned: ..."); a model
  offered no tools answers plainly and says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SAMPLE_STRING = "sample"
SAMPLE_FORMATS = {"date-time": "2025-01-01T00:00:00Z", "date": "2025-01-01", "time": "00:00:00", "email": "user@example.com", "uri": "https://example.com/"}
MAX_SCHEMA_DEPTH = 8  # a schema that refers to itself gets no deeper sample than this
THEN = re.compile(r"\bthen\b", re.IGNORECASE)
KEY = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Tool:
    """A tool as offered in the request: its name and its parameters' JSON Schema."""

    name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One call the model makes; `arguments` is the JSON text it sends (compact, in schema order)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Result:
    """What the client sent back for one call."""

    call_id: str
    output: str
    is_error: bool = False


@dataclass(frozen=True)
class Step:
    """One round already in the request: the calls (as the client says the model made them) and their results."""

    calls: tuple[Call, ...]
    results: tuple[Result, ...] = ()


@dataclass(frozen=True)
class Reply:
    """The model's next step: calls to make (then stop for their results), or the final text."""

    thinking: str = ""
    text: str = ""
    calls: tuple[Call, ...] = ()


def call_id(prefix: str, number: int) -> str:
    """The deterministic id of the conversation's `number`th call, in one wire's shape (`call_3`, `toolu_3`)."""
    return f"{prefix}{number}"


def next_reply(tools: Sequence[Tool], prompt: str, steps: Sequence[Step] = (), *, first_number: int = 1, id_prefix: str = "call_") -> Reply:
    """The step after `steps` (the rounds already done in this answer).

    `first_number` numbers this answer's first call (1 + calls earlier in the conversation), so
    ids stay unique across turns; `id_prefix` is the wire's id shape."""
    if not tools:
        return Reply(text=f"The loopback `tools` model was offered no tools, so it calls none.\n\nYou said:\n\n{prompt}")
    plan = planned_steps(tools, prompt)
    done = len(steps)
    if done >= len(plan):
        return Reply(thinking="The tools answered. I will say what they returned.", text=answer_text(steps))
    number = first_number + sum(len(step.calls) for step in steps)
    calls = tuple(Call(call_id(id_prefix, number + n), name, arguments) for n, (name, arguments) in enumerate(plan[done]))
    names = ", ".join(f"{call.name}({call.arguments})" for call in calls)
    return Reply(thinking=f"I will call {names}.", calls=calls)


def planned_steps(tools: Sequence[Tool], prompt: str) -> list[list[tuple[str, str]]]:
    """Every step the prompt asks for: lists of (tool name, arguments JSON text)."""
    offered = {tool.name: tool for tool in tools}
    named = sorted(filter(None, offered), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, named)) + r")\(([^()]*)\)")
    steps: list[list[tuple[str, str]]] = []
    end = 0
    for match in pattern.finditer(prompt) if named else ():
        if not steps or THEN.search(prompt, end, match.start()):
            steps.append([])
        tool = offered[match.group(1)]
        steps[-1].append((tool.name, arguments_text(parse_arguments(match.group(2), tool.schema))))
        end = match.end()
    if not steps:
        first = tools[0]
        steps.append([(first.name, arguments_text(sample_arguments(first.schema)))])
    return steps


def arguments_text(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))


ARGUMENT_PIECE = 8  # characters per streamed piece of a call's arguments


def argument_pieces(arguments: str) -> list[str]:
    """A call's arguments in the several small pieces a real stream sends them in."""
    return [arguments[start : start + ARGUMENT_PIECE] for start in range(0, len(arguments), ARGUMENT_PIECE)] or [""]


def answer_text(steps: Sequence[Step]) -> str:
    """One line per result, in call order: what each tool returned (or how it failed)."""
    names = {call.id: call.name for step in steps for call in step.calls}
    lines = []
    for step in steps:
        for result in step.results:
            verb = "failed" if result.is_error else "returned"
            lines.append(f"{names.get(result.call_id, result.call_id)} {verb}: {result.output}")
    return "\n\n".join(lines)


# ---------------------------------------------------------------- arguments from the prompt


def parse_arguments(text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`key=value, ...` (values as JSON literals where they parse); bare values fill the schema's properties in order."""
    properties = list(_properties(schema))
    arguments: dict[str, Any] = {}
    position = 0
    for piece in split_top_level(text):
        if not piece.strip():
            continue
        keyed = KEY.match(piece)
        if keyed and not piece.lstrip().startswith(("'", '"')):
            arguments[keyed.group(1)] = literal(keyed.group(2))
            continue
        key = properties[position] if position < len(properties) else f"arg{position + 1}"
        position += 1
        arguments[key] = literal(piece)
    return arguments


def split_top_level(text: str) -> list[str]:
    """Split at commas outside quotes and brackets: `a=[1, 2], b="x, y"` is two pieces."""
    pieces, depth, quote, start, escaped = [], 0, "", 0, False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces


def literal(text: str) -> Any:
    """A JSON literal where the text is one; 'single-quoted' or bare text is a string."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


# ---------------------------------------------------------------- arguments from the schema


def sample_arguments(schema: dict[str, Any]) -> dict[str, Any]:
    """A sample of each required property: its default, first enum value, const, or one per type."""
    value = sample(schema, schema, 0)
    return value if isinstance(value, dict) else {}


def _properties(schema: Any) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


def sample(schema: Any, root: dict[str, Any], depth: int) -> Any:
    if not isinstance(schema, dict) or depth > MAX_SCHEMA_DEPTH:
        return SAMPLE_STRING
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    reference = schema.get("$ref")
    if isinstance(reference, str):
        return sample(_resolve(reference, root), root, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [option for option in options if not (isinstance(option, dict) and option.get("type") == "null")]
            return sample((usable or options)[0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    if isinstance(kind, str):
        kind = kind.lower()  # Gemini's schema subset spells types in capitals (OBJECT, STRING)
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        properties = _properties(schema)
        return {name: sample(properties.get(name), root, depth + 1) for name in required if isinstance(name, str)}
    if kind == "array":
        return [sample(schema.get("items", {"type": "string"}), root, depth + 1)]
    if kind == "integer":
        return _number(schema, 1, int)
    if kind == "number":
        return _number(schema, 1.5, float)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return SAMPLE_FORMATS.get(schema.get("format", ""), SAMPLE_STRING)


def _number(schema: dict[str, Any], fallback: float, kind: type) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    if isinstance(low, (int, float)) and not isinstance(low, bool):
        return kind(low + 1 if "minimum" not in schema else low)
    high = schema.get("maximum")
    if isinstance(high, (int, float)) and not isinstance(high, bool) and high < fallback:
        return kind(high)
    return kind(fallback)


def _resolve(reference: str, root: dict[str, Any]) -> Any:
    """A local `#/$defs/Name` reference; anything else samples as a string."""
    if not reference.startswith("#/"):
        return None
    node: Any = root
    for key in reference[2:].split("/"):
        node = node.get(key) if isinstance(node, dict) else None
    return node


# ---------------------------------------------------------------- checking a follow-up


@dataclass(frozen=True)
class Mismatch:
    """How a follow-up's tool rounds differ from what the model sent; each wire words it its own way."""

    kind: str  # "unknown_call" | "wrong_name" | "altered_arguments" | "missing_call" | "unknown_result" | "duplicate_result" | "no_result"
    step: int  # which round (0: the first after the prompt)
    call_ids: tuple[str, ...]
    message: str


def check_steps(
    tools: Sequence[Tool],
    prompt: str,
    steps: Sequence[Step],
    *,
    first_number: int = 1,
    id_prefix: str = "call_",
    same_arguments: Callable[[str, str], bool] | None = None,
) -> Mismatch | None:
    """How the follow-up's tool rounds are not what this model sent (None when they are).

    Each round is replayed: its calls must be exactly those the model made at that step (ids,
    names, arguments; `same_arguments(sent, received)` compares arguments, exact text by
    default), and each call needs exactly one result. Stateless: the request holds it all."""
    same = same_arguments or (lambda sent, received: sent == received)
    for index, step in enumerate(steps):
        expected = next_reply(tools, prompt, steps[:index], first_number=first_number, id_prefix=id_prefix)
        problem = _compare_calls(index, expected.calls, step.calls, same) or _compare_results(index, step)
        if problem:
            return problem
    return None


def _compare_calls(step: int, expected: tuple[Call, ...], received: tuple[Call, ...], same: Callable[[str, str], bool]) -> Mismatch | None:
    sent = {call.id: call for call in expected}
    for call in received:
        mine = sent.get(call.id)
        if mine is None:
            made = ", ".join(sent) or "none"
            return Mismatch("unknown_call", step, (call.id,), f"tool call `{call.id}` was not made by this model at this step (it made: {made})")
        if call.name != mine.name:
            return Mismatch("wrong_name", step, (call.id,), f"tool call `{call.id}` names `{call.name}`, but the model called `{mine.name}`")
        if not same(mine.arguments, call.arguments):
            message = f"tool call `{call.id}` has arguments {call.arguments!r}, but the model sent {mine.arguments!r}"
            return Mismatch("altered_arguments", step, (call.id,), message)
    missing = tuple(call.id for call in expected if call.id not in {c.id for c in received})
    if missing:
        return Mismatch("missing_call", step, missing, f"tool call(s) {_ids(missing)} made by the model are missing from the follow-up")
    return None


def _compare_results(step_index: int, step: Step) -> Mismatch | None:
    calls = {call.id for call in step.calls}
    seen: set[str] = set()
    for result in step.results:
        if result.call_id not in calls:
            message = f"tool result for `{result.call_id or '(no id)'}` answers no tool call of the step before it"
            return Mismatch("unknown_result", step_index, (result.call_id,), message)
        if result.call_id in seen:
            return Mismatch("duplicate_result", step_index, (result.call_id,), f"tool call `{result.call_id}` has more than one result")
        seen.add(result.call_id)
    unanswered = tuple(call.id for call in step.calls if call.id not in seen)
    if unanswered:
        return Mismatch("no_result", step_index, unanswered, f"tool call(s) {_ids(unanswered)} have no result")
    return None


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


def same_json(sent: str, received: str) -> bool:
    """Arguments compared as JSON values: for wires that send them back as objects (Anthropic, Gemini)."""
    try:
        return json.loads(sent) == json.loads(received)
    except ValueError:
        return False

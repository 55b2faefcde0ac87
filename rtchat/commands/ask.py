"""`rtchat ask`: one streamed answer on stdout, for people and for scripts."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

from rtchat.attachments import Attachment, AttachmentError
from rtchat.attachments import load as load_attachment
from rtchat.commands.ask_share import share_before_prompt, wants_share
from rtchat.catalog import parse_model_ref, with_api
from rtchat.commands.ask_approval import AllowAll, TerminalApprover
from rtchat.commands.common import fail, load_config_or_report, stored_id
from rtchat.config import default_model_ref
from rtchat.commands.printers import UNKNOWN_COST_LINE, TextPrinter, print_json_line, print_jsonl, silence_stdout
from rtchat.conversation import Conversation
from rtchat.debuglog import WireLog
from rtchat.events import Done, Error, ErrorKind, Event, Metrics, Notice, ThinkingDelta

USAGE_ERRORS = (ErrorKind.UNAVAILABLE, ErrorKind.CONFIG)  # refused before anything was sent
from rtchat.history import TurnRecorder, edit_point, regenerate_point
from rtchat.run import TurnService
from rtchat.session import Session, attachment_problem
from rtchat.share import ShareError
from rtchat.store import LEAF, MessageRecord, Parent
from rtchat.sanitize import terminal_safe
from rtchat.secrets import has_key
from rtchat.target import cost_unknown
from rtchat.commands.tool_flags import tool_choices
from rtchat.turns.base import Turn


def read_prompt(parts: list[str]) -> str | None:
    """The prompt from the arguments, else from piped stdin (raises UnicodeDecodeError)."""
    if parts and parts != ["-"]:
        # Python reads argv bytes that are not UTF-8 as lone surrogates ("surrogateescape"):
        # turned back into bytes and decoded strictly, they raise here, before anything is stored.
        return " ".join(parts).encode("utf-8", "surrogateescape").decode("utf-8")
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.buffer.read().decode("utf-8")


def given_prompt(parts: list[str], missing: str) -> str:
    """The prompt from the arguments or stdin; ValueError with the one line to show
    (`missing` when there is none)."""
    try:
        prompt = read_prompt(parts)
    except UnicodeDecodeError as exc:
        raise ValueError(not_utf8(exc, "on stdin" if not parts or parts == ["-"] else "argument")) from None
    if prompt is None or not prompt.strip():
        raise ValueError(missing)
    return prompt


def not_utf8(exc: UnicodeDecodeError, where: str = "on stdin") -> str:
    byte = exc.object[exc.start : exc.start + 1].hex()
    return (
        f"the prompt {where} is not UTF-8 text (byte 0x{byte} at offset {exc.start}); "
        "convert it first, e.g. with `iconv -f latin1 -t utf-8`"
    )



@dataclass
class Resumed:
    """A stored conversation `ask` carries on from, and where its new message goes."""

    conversation: Conversation
    model: str | None
    prompt_parent: Parent = LEAF  # --edit: the edited prompt's parent
    answer_parent: Parent = LEAF  # --regenerate: the prompt answered again


def resume(recorder: TurnRecorder, args) -> Resumed:
    """The stored conversation named by --conversation (else the last one), set up for
    --continue, --regenerate or --edit."""
    store = recorder.store
    if store is None:
        raise LookupError("continuing a conversation needs the history, which is off for this run")
    conv_id = args.conversation if args.conversation is not None else store.last_conversation_id()
    if conv_id is None:
        raise LookupError("there is no earlier conversation to continue yet")
    try:
        if stored_id(conv_id) is None:
            raise KeyError(conv_id)
        record, _ = store.load_conversation(conv_id)
    except KeyError:
        raise LookupError(f"no conversation {conv_id} (see `rtchat history`)") from None
    recorder.conversation_id = conv_id
    if args.regenerate:
        point = regenerate_point(store, conv_id)
        return Resumed(point.context, last_model(point.replaced, record.model), answer_parent=point.parent)
    if args.edit:
        point = edit_point(store, conv_id)
        return Resumed(point.context, record.model, prompt_parent=point.parent)
    conversation, leaf = recorder.resume(conv_id)
    return Resumed(conversation, record.model, prompt_parent=leaf)


def last_model(answer: MessageRecord | None, fallback: str) -> str:
    return answer.model if answer is not None and answer.model else fallback


async def ask(args, prompt: str, attachments: list[Attachment] | None = None) -> int:
    attachments = attachments or []

    config = load_config_or_report()
    if config is None:
        return 2
    if args.persona:
        persona = config.personas.get(args.persona)
        if persona is None:
            known = ", ".join(sorted(config.personas)) or "none yet: add [personas.NAME] to the config"
            return fail(f"no persona named {args.persona!r} (known: {known})")
        args.system = args.system or persona.prompt
        args.ask_model = args.ask_model or persona.model
        args.effort = args.effort or persona.effort
    try:
        ref = parse_model_ref(args.ask_model) if args.ask_model else default_model_ref(config, has_key)
        session = Session(config)
    except ValueError as exc:
        return fail(str(exc))
    if getattr(args, "debug", False):
        session.wire_log = WireLog.create()
        print(f"rtchat: writing a redacted wire log to {session.wire_log.path}", file=sys.stderr)
    if args.ask_protocol not in ("sse", "websocket", "webrtc"):
        return fail(f"--protocol {args.ask_protocol} is not available for `ask`; use sse, websocket or webrtc")
    emit = print_jsonl if args.jsonl else TextPrinter(show_thinking=not args.no_thinking)
    warn = (lambda text: print_jsonl(Notice(text, "warning"))) if args.jsonl else (lambda text: print(f"rtchat: {text}", file=sys.stderr))
    recorder = TurnRecorder.open(warn, enabled=not args.no_history)
    conversation = Conversation(system=args.system)
    loop = asyncio.get_running_loop()
    terminal = None
    try:
        resumed = None
        if args.continue_last or args.conversation is not None or args.regenerate or args.edit:
            resumed = resume(recorder, args)
            conversation = resumed.conversation
            if not args.ask_model and resumed.model:
                ref = parse_model_ref(resumed.model)
        if args.api:
            config.catalog.providers[ref.provider] = with_api(config.catalog.provider(ref.provider), args.api)
        target = await session.resolve(ref, args.base_url)
        for attachment in attachments:  # refused before anything is sent or stored
            problem = attachment_problem(attachment, target, args.ask_protocol)
            if problem:
                return fail(problem)
        if wants_share(args):
            try:
                attachments = attachments + await share_before_prompt(session, target, args.ask_protocol, conversation, args)
            except ShareError as exc:
                return fail(str(exc))
        service = TurnService(recorder)
        if not args.regenerate:  # a regenerate answers the stored prompt, already at the end of `conversation`
            conversation.add_user(prompt).attachments.extend(attachments)
            await service.prompt(prompt, target, args.ask_protocol, args.system, attachments, parent=resumed.prompt_parent if resumed else LEAF)
        effort = "off" if args.no_thinking and not args.effort else args.effort
        choices = tool_choices(session, target, args)
        if choices is None:
            return 2
        if choices.servers and not session.carries_tools(target, args.ask_protocol):
            warn(f"no tools over this socket ({target.ref} over {args.ask_protocol}); this turn goes without them (--protocol sse offers them)")
        terminal = None if args.approve_tools else TerminalApprover()
        tools = session.tool_runner(target, args.ask_protocol, terminal or AllowAll(), choices)
        turn = session.turn(target, conversation, effort, protocol=args.ask_protocol, tools=tools)
        loop.add_signal_handler(signal.SIGINT, turn.cancel)
        shown = Shown(with_unknown_cost(turn) if args.jsonl else emit, turn.cancel, args.no_thinking)
        await service.run(turn, shown.show, parent=resumed.answer_parent if resumed else LEAF)
    except (ValueError, LookupError) as exc:  # unknown provider, nothing to continue
        return fail(str(exc))
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        recorder.close()
        await session.aclose()
        if terminal is not None:
            terminal.close()
    return shown.status()


def with_unknown_cost(turn: Turn) -> Callable[[Event], None]:
    """`--jsonl` printing that says `"usd": null, "source": "unknown"` in a `cost` line (just before
    `metrics`, where a known cost comes) when the turn answered and nobody said what it cost."""

    def emit(event: Event) -> None:
        if isinstance(event, Metrics):
            answer = turn.answer()
            if (answer.usage is not None or answer.spoken_text) and cost_unknown(turn.target, answer.cost):
                print_json_line(UNKNOWN_COST_LINE)
        print_jsonl(event)

    return emit


class Shown:
    """Prints a turn's events as they come, and remembers how it ended."""

    def __init__(self, emit: Callable[[Event], None], stop: Callable[[], None], no_thinking: bool) -> None:
        self.emit = emit
        self.stop = stop
        self.no_thinking = no_thinking
        self.reason = "error"
        self.refused = False  # the turn never left (a protocol the model lacks, a bad base URL): bad usage
        self.failed = False  # an error was said, whether or not anyone still read it
        self.broken_pipe = False

    def show(self, event: Event) -> None:
        if isinstance(event, Done):
            self.reason = event.reason
        elif isinstance(event, Error):
            self.failed = True
            self.refused = self.refused or event.kind in USAGE_ERRORS
        if self.broken_pipe or (isinstance(event, ThinkingDelta) and self.no_thinking):
            self.say_lost_error(event)
            return
        try:
            self.emit(event)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            self.broken_pipe = True
            self.stop()
            silence_stdout()
            self.say_lost_error(event)

    def say_lost_error(self, event: Event) -> None:
        """An error that stdout's reader will never see is said on stderr (once: a `--jsonl`
        error line goes to stdout only; the text printer's stderr line may not have been reached)."""
        if self.broken_pipe and isinstance(event, Error):
            print(f"rtchat: {terminal_safe(event.message)}", file=sys.stderr)

    def status(self) -> int:
        """The exit status: a failure stays one under `pipefail` even when the reader went away;
        a reader that stopped reading a good answer (`| head -1`) is no failure."""
        if self.refused:
            return 2  # as argparse does for bad usage (README: exit codes)
        if self.failed and self.broken_pipe:
            return 1  # the turn was stopped after its error, so its ending says "interrupted"
        if self.broken_pipe:
            return 0
        return {"interrupted": 130, "error": 1}.get(self.reason, 0)


def run_ask(args) -> int:
    if getattr(args, "audio_in", None):
        from rtchat.commands.ask_voice import run_ask_voice  # deferred: the voice libraries (numpy, PyAV, aiortc), for --audio-in only

        return run_ask_voice(args)
    if args.regenerate:
        if args.prompt or args.edit or args.attach:
            return fail("--regenerate answers the stored prompt again: give no prompt, --edit or -a with it")
        prompt = ""
    else:
        try:
            prompt = given_prompt(args.prompt, 'give a prompt: rtchat ask "PROMPT" (or pipe it on stdin)')
        except ValueError as exc:
            return fail(str(exc))
    if args.system:
        try:
            given_prompt([args.system], "")
        except ValueError as exc:
            return fail(str(exc).replace("the prompt argument", "--system", 1))
    if "-" in args.attach and not (args.prompt and args.prompt != ["-"]):
        return fail("-a - reads the file from stdin, so give the prompt as an argument")
    try:
        attachments = [load_attachment(path) for path in args.attach]
    except AttachmentError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:  # Ctrl-C while `-a -` waited on a stdin that never ended
        print("rtchat: interrupted while reading the attachments; nothing was sent", file=sys.stderr)
        return 130
    try:
        return asyncio.run(ask(args, prompt, attachments))
    except KeyboardInterrupt:
        return 130

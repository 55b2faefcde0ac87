"""`rtchat ask`: one streamed answer on stdout, for people and for scripts."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import replace

from rtchat.attachments import Attachment, AttachmentError, problem_for
from rtchat.attachments import load as load_attachment
from rtchat.catalog import parse_model_ref
from rtchat.commands.common import fail, load_config_or_report
from rtchat.config import default_model_ref
from rtchat.commands.printers import TextPrinter, print_jsonl, silence_stdout
from rtchat.conversation import Conversation
from rtchat.events import Done, Error, ErrorKind, Notice, ThinkingDelta

USAGE_ERRORS = (ErrorKind.UNAVAILABLE, ErrorKind.CONFIG)  # refused before anything was sent
from rtchat.history import TurnRecorder
from rtchat.secrets import has_key


def read_prompt(parts: list[str]) -> str | None:
    """The prompt from the arguments, else from piped stdin (raises UnicodeDecodeError)."""
    if parts and parts != ["-"]:
        return " ".join(parts)
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.buffer.read().decode("utf-8")


def not_utf8(exc: UnicodeDecodeError) -> str:
    byte = exc.object[exc.start : exc.start + 1].hex()
    return (
        f"the prompt on stdin is not UTF-8 text (byte 0x{byte} at offset {exc.start}); "
        "convert it first, e.g. with `iconv -f latin1 -t utf-8`"
    )



def continue_last(recorder: TurnRecorder) -> tuple[Conversation, str | None]:
    """The last stored conversation and its model, to carry on from."""
    if recorder.store is None:
        raise LookupError("--continue needs the history, which is off for this run")
    last = recorder.store.last_conversation_id()
    if last is None:
        raise LookupError("--continue: there is no earlier conversation yet")
    record, _ = recorder.store.load_conversation(last)
    return recorder.resume(last), record.model


async def ask(args, prompt: str, attachments: list[Attachment] | None = None) -> int:
    attachments = attachments or []
    from rtchat.session import Session

    config = load_config_or_report()
    if config is None:
        return 2
    if args.api:
        provider = config.catalog.providers.get("openai")
        if provider:
            config.catalog.providers["openai"] = replace(provider, wire="openai_responses" if args.api == "responses" else "openai_chat")
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
        from rtchat.debuglog import WireLog

        session.wire_log = WireLog.create()
        print(f"rtchat: writing a redacted wire log to {session.wire_log.path}", file=sys.stderr)
    if args.ask_protocol not in ("sse", "websocket", "webrtc"):
        return fail(f"--protocol {args.ask_protocol} is not available for `ask`; use sse, websocket or webrtc")
    emit = print_jsonl if args.jsonl else TextPrinter(show_thinking=not args.no_thinking)
    warn = (lambda text: print_jsonl(Notice(text, "warning"))) if args.jsonl else (lambda text: print(f"rtchat: {text}", file=sys.stderr))
    recorder = TurnRecorder.open(warn, enabled=not args.no_history)
    conversation = Conversation(system=args.system)
    loop = asyncio.get_running_loop()
    try:
        if args.continue_last:
            conversation, stored_model = continue_last(recorder)
            if not args.ask_model and stored_model:
                ref = parse_model_ref(stored_model)
        target = await session.resolve(ref, args.base_url)
        for attachment in attachments:  # refused before anything is sent or stored
            problem = problem_for(attachment, target.provider.wire, target.info.accepts, target.ref)
            if problem:
                return fail(problem)
        started = None  # the stored conversation this call created, if any
        if recorder.conversation_id is None:
            recorder.start(target.ref, args.ask_protocol, args.system)
            started = recorder.conversation_id
        conversation.add_user(prompt).attachments.extend(attachments)
        recorder.prompt(prompt, attachments)  # committed before the request leaves
        effort = "off" if args.no_thinking and not args.effort else args.effort
        turn = session.turn(target, conversation, effort, protocol=args.ask_protocol)
        recorder.begin_answer(target.ref, target.provider.id)
        loop.add_signal_handler(signal.SIGINT, turn.cancel)
        reason = "error"
        refused = False  # the turn never left (a protocol the model lacks, a bad base URL): bad usage
        async for event in turn.events():
            recorder.apply(event)
            if isinstance(event, ThinkingDelta) and args.no_thinking:
                continue
            try:
                emit(event)
            except BrokenPipeError:  # the reader went away (`| head`): stop quietly
                turn.cancel()
                silence_stdout()
                return 0
            if isinstance(event, Done):
                reason = event.reason
            elif isinstance(event, Error) and event.kind in USAGE_ERRORS:
                refused = True
        if started is not None and turn.answer.answer().message() is None:
            recorder.end_answer()
            recorder.discard(started)  # no answer: no "hi · 2 msgs" left in the history
    except (ValueError, LookupError) as exc:  # unknown provider, nothing to continue
        return fail(str(exc))
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        recorder.close()
        await session.aclose()
    if refused:
        return 2  # as argparse does for bad usage (README: exit codes)
    return {"interrupted": 130, "error": 1}.get(reason, 0)


def run_ask(args) -> int:
    if getattr(args, "audio_in", None):
        from rtchat.commands.ask_voice import run_ask_voice

        return run_ask_voice(args)
    try:
        prompt = read_prompt(args.prompt)
    except UnicodeDecodeError as exc:
        return fail(not_utf8(exc))
    if prompt is None or not prompt.strip():
        return fail('give a prompt: rtchat ask "PROMPT" (or pipe it on stdin)')
    if "-" in args.attach and not (args.prompt and args.prompt != ["-"]):
        return fail("-a - reads the file from stdin, so give the prompt as an argument")
    try:
        attachments = [load_attachment(path) for path in args.attach]
    except AttachmentError as exc:
        return fail(str(exc))
    try:
        return asyncio.run(ask(args, prompt, attachments))
    except KeyboardInterrupt:
        return 130

"""`rtchat race`: one prompt to several model/protocol targets at once, side by side in the app or as JSON.

Paid providers are asked about before any token is spent (as `rtchat bench`
does); `--yes` skips the question. Bad target counts are a one-line usage error.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from rtchat.commands.common import fail, load_config_or_report
from rtchat.sanitize import strict_json


def add_race_parser(sub) -> None:
    """The `race` subcommand's arguments (kept here so cli.py only wires it in)."""
    race = sub.add_parser("race", help="send one prompt to several models/protocols at once and compare them side by side")
    race.add_argument("prompt", nargs="*", help="the prompt; read from stdin when omitted or '-'")
    race.add_argument("-m", "--model", dest="race_models", action="append", required=True, metavar="MODEL", help="PROVIDER/MODEL; repeat for each model")
    race.add_argument("--protocols", help="comma-separated sse,websocket,webrtc (default: every protocol each model offers)")
    race.add_argument("--system", help="system prompt")
    race.add_argument("--json", dest="race_json", action="store_true", help="print per target the figures and the answer as JSON")
    race.add_argument("-y", "--yes", action="store_true", help="do not ask before spending tokens on a paid provider")


def run_race_command(args) -> int:
    from rtchat.commands.ask import given_prompt  # deferred: the CLI imports this module for its parser; the race loads when run
    from rtchat.race import parse_protocols, race_specs
    from rtchat.race.cost import paid_question

    config = load_config_or_report()
    if config is None:
        return 2
    try:
        prompt = given_prompt(args.prompt, 'give a prompt: rtchat race "PROMPT" -m MODEL -m MODEL')
    except ValueError as exc:
        return fail(str(exc))
    try:
        protocols = parse_protocols(args.protocols) if args.protocols else None
        specs = race_specs(args.race_models, protocols, lambda model: offered(config, model))
    except ValueError as exc:
        return fail(str(exc))
    question = paid_question(config, specs, prompt)
    if question and not args.yes:
        from rtchat.commands.bench import confirm  # deferred: the CLI imports this module for its parser; the race loads when run

        if not confirm(question, "race"):
            return 2
    if args.race_json:
        try:
            return asyncio.run(race_json(config, specs, prompt, args.system))
        except KeyboardInterrupt:
            return 130
    from rtchat.ui.race_app import run_race_app  # deferred: Textual and the app, for the race screen only

    return run_race_app(config, specs, prompt, theme=getattr(args, "theme", None))


def offered(config, model: str) -> tuple[str, ...]:
    """The protocols a model offers, from the catalogue (ValueError for an unknown provider)."""
    from rtchat.catalog import parse_model_ref  # deferred: the CLI imports this module for its parser; the race loads when run

    ref = parse_model_ref(model)
    return tuple(config.catalog.provider(ref.provider).model(ref.model).protocols)


async def race_json(config, specs, prompt: str, system: str | None) -> int:
    from rtchat.conversation import Conversation  # deferred: the CLI imports this module for its parser; the race loads when run
    from rtchat.race import Race
    from rtchat.session import Session

    session = Session(config)
    race = Race(session, specs, Conversation(system=system), prompt)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, race.cancel)
    try:
        await race.run()
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await session.aclose()
    sys.stdout.write(strict_json(race.to_json(), indent=2) + "\n")
    if race.cancelled:
        return 130
    return 0 if any(lane.reason == "complete" for lane in race.lanes) else 1

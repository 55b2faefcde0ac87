"""`rtchat bench`: latency of each protocol against one model, as a table, JSON and a chart.

Paid providers are asked before any token is spent; with no terminal to ask
on and no --yes, the bench refuses rather than guess.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from rtchat.sanitize import strict_json

DEFAULT_MODEL = "loopback/lorem@rate=1000"
DEFAULT_PROMPT = "Write a few short paragraphs about the sea."
DEFAULT_PROTOCOLS = "sse,websocket,webrtc"


def add_bench_parser(sub) -> None:
    """The `bench` subcommand's arguments (kept here so cli.py only wires it in)."""
    bench = sub.add_parser("bench", help="measure connection set-up, TTFT, inter-token and interrupt latency per protocol")
    bench.add_argument("-m", "--model", dest="bench_model", default=DEFAULT_MODEL, help=f"PROVIDER/MODEL (default {DEFAULT_MODEL}: no key, no network)")
    bench.add_argument("--protocols", default=DEFAULT_PROTOCOLS, help=f"comma-separated (default {DEFAULT_PROTOCOLS})")
    bench.add_argument("--runs", type=int, default=10, help="turns per protocol and kind (default 10)")
    bench.add_argument("--prompt", default=DEFAULT_PROMPT, help="the prompt of every turn")
    bench.add_argument("--max-tokens", type=int, default=None, help="stop each measured turn after this many tokens (default 200)")
    bench.add_argument("--base-url", help="override the provider's base URL")
    bench.add_argument("--no-cache-pass", action="store_true", help="skip the repeated-prefix (prompt cache) pass")
    bench.add_argument("--no-thinking-pass", action="store_true", help="skip the pass by thinking budget (off, 1K, 4K, 16K)")
    bench.add_argument("--json", dest="bench_json", action="store_true", help="print the raw samples and the summary as JSON")
    bench.add_argument("--chart", metavar="FILE.svg", help="also save the distributions as an SVG chart")
    bench.add_argument("-y", "--yes", action="store_true", help="do not ask before spending tokens on a paid provider")


def run_bench_command(args) -> int:
    from rtchat.bench.cost import estimate  # deferred: the CLI imports this module for its parser; the bench loads when run
    from rtchat.target import is_free  # deferred with it
    from rtchat.bench.plan import STOP_AFTER, INTERRUPT_AFTER, Plan
    from rtchat.catalog import parse_model_ref
    from rtchat.commands.common import fail, load_config_or_report

    config = load_config_or_report()
    if config is None:
        return 2
    if args.runs < 1:
        return fail("--runs must be at least 1")
    stop_after = args.max_tokens or STOP_AFTER
    protocols = [p.strip() for p in args.protocols.split(",") if p.strip()]
    from rtchat.bench.protocols import RUNNERS  # deferred: the CLI imports this module for its parser; the bench loads when run

    unknown = [p for p in protocols if p not in RUNNERS]
    if not protocols or unknown:
        said = f"unknown protocol {', '.join(unknown)}; " if unknown else ""
        return fail(f"{said}--protocols takes a comma-separated list of {', '.join(RUNNERS)}")
    try:
        ref = parse_model_ref(args.bench_model)
        provider = config.catalog.provider(ref.provider)
    except ValueError as exc:
        return fail(str(exc))
    if not is_free(provider.id, args.base_url or provider.base_url) and not args.yes:
        plan = Plan(tuple(protocols), args.runs, not args.no_cache_pass, not args.no_thinking_pass)
        from rtchat.pricing import price_for  # deferred: the CLI imports this module for its parser; the bench loads when run

        price = price_for(f"{provider.id}/{ref.model}", config.prices)  # is_free said no: no FREE price
        cost = estimate(plan, args.prompt, stop_after, INTERRUPT_AFTER).describe(price)
        if not confirm(f"this bench spends tokens on {provider.id} (paid): {cost}."):
            return 2
    try:
        return asyncio.run(_bench(args, config, protocols, stop_after))
    except KeyboardInterrupt:
        return fail("bench interrupted (ctrl+c); nothing was measured to the end, so nothing is printed", 130)


def confirm(message: str, what: str = "bench") -> bool:
    """y/N on the terminal before spending money; with no terminal to ask on, refuse rather than spend."""
    from rtchat.commands.common import fail  # deferred: the CLI imports this module for its parser; the bench loads when run

    if not (sys.stdin and sys.stdin.isatty() and sys.stderr.isatty()):
        fail(f"{message} Refusing without a terminal to ask on; pass --yes to run anyway.")
        return False
    sys.stderr.write(f"rtchat: {message}\nContinue? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        fail(f"{what} cancelled; nothing was sent", 0)
        return False
    return True


async def _bench(args, config, protocols: list[str], stop_after: int) -> int:
    from rtchat.bench.chart_svg import render_svg  # deferred: the CLI imports this module for its parser; the bench loads when run
    from rtchat.bench.chart_terminal import render_terminal_chart
    from rtchat.bench.progress import ProgressBar
    from rtchat.bench.runner import run_bench
    from rtchat.bench.table import render_table
    from rtchat.commands.common import fail

    progress = ProgressBar()
    try:
        result = await run_bench(
            config, args.bench_model, protocols, args.runs, args.prompt, progress,
            base_url=args.base_url, stop_after=stop_after, cache_pass=not args.no_cache_pass,
            thinking_pass=not args.no_thinking_pass,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        return fail(f"bench failed: {exc}", 1)
    finally:
        progress.close()  # on ctrl+c too: the line after it starts at the left edge
    if args.bench_json:
        print(strict_json(result.to_json(), indent=2))
    else:
        print(render_table(result))
        chart = render_terminal_chart(result, width=min(60, shutil.get_terminal_size((80, 24)).columns - 30))
        if chart:
            print("\n" + chart)
    if args.chart:
        Path(args.chart).write_text(render_svg(result), encoding="utf-8")
        print(f"rtchat: chart saved to {args.chart}", file=sys.stderr)
    return 0 if result.available() else 1


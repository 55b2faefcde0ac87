"""Runs the bench: warm-up, then measured and interrupt turns alternating across
protocols, then the cache pass. `run_bench` is the one entry point, shared by
`rtchat bench` and the TUI's command palette.

Every turn opens its own `Session`, so each one pays its protocol's connection
set-up, as the first turn of a chat does, and no protocol profits from a warm
pool the others cannot have.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rtchat.bench.loopback_host import loopback_process
from rtchat.bench.plan import (
    CACHE_REPLY_LIMIT,
    INTERRUPT_AFTER,
    STOP_AFTER,
    Plan,
    cache_model_for,
    thinking_model_for,
)
from rtchat.bench.prefix import fresh_prefix, shared_prefix
from rtchat.bench.probe import Probe, probe_turn
from rtchat.bench.protocols import ProtocolRunner, runner_for
from rtchat.bench.thinking import BUDGETS, ThinkingProbe, probe_answer
from rtchat.bench.result import (
    CACHE_COLD,
    CACHE_WARM,
    INTERRUPT,
    MEASURED,
    THINKING,
    BenchResult,
    ProtocolStatus,
    Sample,
)
from rtchat.catalog import parse_model_ref
from rtchat.config import Config
from rtchat.conversation import Conversation
from rtchat.errors import UnavailableFailure
from rtchat.events import ErrorKind
from rtchat.metrics import gaps_ms, tokens_per_second
from rtchat.pricing import price_for
from rtchat.session import Session
from rtchat.target import Target

ProgressCallback = Callable[[int, int, str], None]  # (turns done, turns in all, what runs now)


class ProtocolUnavailable(UnavailableFailure):
    """The protocol cannot run for this model; the bench drops it with the reason."""


async def run_bench(
    config: Config,
    model: str,
    protocols: list[str] | tuple[str, ...],
    runs: int,
    prompt: str,
    on_progress: ProgressCallback | None = None,
    *,
    base_url: str | None = None,
    stop_after: int = STOP_AFTER,
    interrupt_after: int = INTERRUPT_AFTER,
    cache_pass: bool = True,
    thinking_pass: bool = False,
) -> BenchResult:
    """Measure `model` over each protocol `runs` times; protocols that cannot run are reported, not raised."""
    ref = parse_model_ref(model)
    if ref.provider == "loopback" and base_url is None:
        async with loopback_process() as root:
            wire = config.catalog.provider("loopback").wire
            url = root + "/v1" if wire in ("openai_chat", "openai_responses") else root
            return await _Bench(config, model, prompt, runs, stop_after, interrupt_after, cache_pass, on_progress, thinking_pass).run(list(protocols), url)
    return await _Bench(config, model, prompt, runs, stop_after, interrupt_after, cache_pass, on_progress, thinking_pass).run(list(protocols), base_url)


class _Bench:
    def __init__(self, config, model, prompt, runs, stop_after, interrupt_after, cache_pass, on_progress, thinking_pass=False) -> None:
        self.config = config
        self.model = model
        self.prompt = prompt
        self.runs = runs
        self.stop_after = stop_after
        self.interrupt_after = interrupt_after
        self.cache_pass = cache_pass
        self.thinking_pass = thinking_pass
        self.on_progress = on_progress or (lambda done, total, label: None)
        self.done = 0
        self.total = 0
        self.per_protocol = Plan(("one",), runs, cache_pass).turns()
        self.done_by: dict[str, int] = {}

    async def run(self, protocols: list[str], base_url: str | None) -> BenchResult:
        began = time.perf_counter()
        resolver = Session(self.config)
        try:
            target = await resolver.resolve(self.model, base_url)
            cache_target = await resolver.resolve(cache_model_for(self.model), base_url) if self.cache_pass else None
            thinking_target = await resolver.resolve(thinking_model_for(self.model), base_url) if self.thinking_pass else None
            statuses = [self._status(resolver, target, name) for name in protocols]
        finally:
            await resolver.aclose()
        result = BenchResult(
            self.model, self.prompt, self.runs, self.stop_after, self.interrupt_after,
            cache_target.ref if cache_target else None, statuses,
        )
        result.loopback = target.provider.id == "loopback"
        price = price_for(str(cache_target.ref if cache_target else target.ref), self.config.prices)
        if price is not None:
            result.input_price = (price.input, price.input if price.cached_input is None else price.cached_input)
            result.price_note = price.note
        runners = {s.name: runner_for(s.name) for s in statuses if s.available}
        if thinking_target is not None and thinking_target.info.thinking is False:  # None (unknown): tried, the turns tell
            result.thinking_skipped = f"{thinking_target.ref} has no thinking budget or effort (catalog)"
            thinking_target = None
        self.total = Plan(tuple(runners), self.runs, self.cache_pass, thinking_target is not None).turns()
        await self._warm_up(result, runners, target)
        await self._measure(result, runners, target)
        if cache_target is not None:
            await self._cache_pass(result, runners, cache_target)
        if thinking_target is not None:
            runner = next((r for r in runners.values() if r.unavailable_reason(thinking_target) is None), None)
            if runner is None:
                result.thinking_skipped = f"{thinking_target.ref} offers none of the protocols measured"
            else:
                await self._thinking_pass(result, runner, thinking_target)
        result.seconds = time.perf_counter() - began
        return result

    def _status(self, session: Session, target: Target, name: str) -> ProtocolStatus:
        runner = runner_for(name)
        if runner is None:
            return ProtocolStatus(name, "?", False, "unknown protocol")
        reason = runner.unavailable_reason(target)
        return ProtocolStatus(name, runner.setup_for(target), reason is None, reason)

    def _step(self, name: str, label: str) -> None:
        self.done += 1
        self.done_by[name] = self.done_by.get(name, 0) + 1
        self.on_progress(self.done, self.total, f"{name} {label}")

    async def _turn(self, runner: ProtocolRunner, target: Target, conversation: Conversation, stop_after: int | None) -> Probe:
        session = Session(self.config)
        try:
            session.client_for(target.base_url)  # build the HTTP client (and its TLS context) outside the timing
            probe = await probe_turn(lambda: runner.open_turn(session, target, conversation), stop_after)
            if probe.error is not None and probe.error.kind == ErrorKind.UNAVAILABLE:
                raise ProtocolUnavailable(f"{runner.name} is not available: {bench_words(probe.error.message)}")
            return probe
        finally:
            await session.aclose()

    def _drop(self, result: BenchResult, runners: dict[str, ProtocolRunner], name: str, reason: str) -> None:
        """Take a protocol out of the bench; its remaining turns count as done, so the total never jumps."""
        for status in result.protocols:
            if status.name == name:
                status.available, status.reason = False, reason
        runners.pop(name, None)
        result.samples = [s for s in result.samples if s.protocol != name]
        skipped = self.per_protocol - self.done_by.get(name, 0)
        self.done_by[name] = self.per_protocol
        self.done += skipped
        self.on_progress(self.done, self.total, f"{name} skipped")

    async def _warm_up(self, result: BenchResult, runners: dict[str, ProtocolRunner], target: Target) -> None:
        """One unmeasured turn each: imports, first connections, and whether the transport runs at all."""
        for name, runner in list(runners.items()):
            self._step(name, "warm-up")
            try:
                probe = await self._turn(runner, target, self._conversation(), self.interrupt_after)
            except ProtocolUnavailable as exc:
                self._drop(result, runners, name, str(exc))
                continue
            if probe.error is not None or not probe.arrivals:
                why = probe.error.message if probe.error else f"no tokens (ended {probe.done})"
                self._drop(result, runners, name, f"failed in warm-up: {why}")

    async def _measure(self, result: BenchResult, runners: dict[str, ProtocolRunner], target: Target) -> None:
        for run in range(self.runs):
            for kind, limit in ((MEASURED, self.stop_after), (INTERRUPT, self.interrupt_after)):
                for name in Plan(tuple(runners), self.runs).order(run):
                    self._step(name, f"{kind} {run + 1}/{self.runs}")
                    await self._record(result, runners, name, kind, run, target, self._conversation(), limit)

    async def _cache_pass(self, result: BenchResult, runners: dict[str, ProtocolRunner], target: Target) -> None:
        for name in list(runners):
            self._step(name, "cache priming")
            await self._record(result, runners, name, "cache_prime", -1, target, self._conversation(shared_prefix()), CACHE_REPLY_LIMIT)
        for run in range(self.runs):
            for name in Plan(tuple(runners), self.runs).order(run):
                self._step(name, f"cache {run + 1}/{self.runs}")
                await self._record(result, runners, name, CACHE_COLD, run, target, self._conversation(fresh_prefix()), CACHE_REPLY_LIMIT)
                self._step(name, f"cache {run + 1}/{self.runs}")
                await self._record(result, runners, name, CACHE_WARM, run, target, self._conversation(shared_prefix()), CACHE_REPLY_LIMIT)
        result.samples = [s for s in result.samples if s.kind != "cache_prime"]

    async def _thinking_pass(self, result: BenchResult, runner: ProtocolRunner, target: Target) -> None:
        """Each budget in turn, `runs` times, over one protocol; a fresh session per turn, as everywhere."""
        result.thinking_model, result.thinking_protocol = str(target.ref), runner.name
        self._step(runner.name, "thinking warm-up")
        await self._thinking_turn(runner, target, "off")  # the model's first turn pays its one-off costs unmeasured
        for run in range(self.runs):
            for label, effort in BUDGETS:
                self._step(runner.name, f"thinking {label} {run + 1}/{self.runs}")
                result.samples.append(thinking_sample(runner.name, label, run, await self._thinking_turn(runner, target, effort)))

    async def _thinking_turn(self, runner: ProtocolRunner, target: Target, effort: str) -> ThinkingProbe:
        """Run to the end when the answer is short (usage, with its thinking tokens, comes last)."""
        session = Session(self.config)
        try:
            session.client_for(target.base_url)  # outside the timing, as in _turn
            return await probe_answer(lambda: session.turn(target, self._conversation(), effort=effort, protocol=runner.name), CACHE_REPLY_LIMIT)
        finally:
            await session.aclose()

    async def _record(self, result, runners, name, kind, run, target, conversation, limit) -> None:
        if name not in runners:
            return
        try:
            probe = await self._turn(runners[name], target, conversation, limit)
        except ProtocolUnavailable as exc:
            self._drop(result, runners, name, str(exc))
            return
        result.samples.append(to_sample(name, kind, run, probe))

    def _conversation(self, system: str | None = None) -> Conversation:
        conversation = Conversation(system=system)
        conversation.add_user(self.prompt)
        return conversation


def to_sample(protocol: str, kind: str, run: int, probe: Probe) -> Sample:
    usage = probe.usage
    error = probe.error.message if probe.error else None
    if error is None and not probe.arrivals:
        error = f"no tokens arrived (the turn ended: {probe.done})"
    return Sample(
        protocol=protocol,
        kind=kind,
        run=run,
        connect_ms=probe.connect_ms,
        ttft_ms=probe.ttft_ms,
        gaps_ms=gaps_ms(probe.arrivals) if kind == MEASURED else [],
        tokens=len(probe.arrivals),
        tokens_per_s=tokens_per_second(probe.arrivals) if kind == MEASURED else None,
        interrupt_ms=probe.interrupt_ms if kind == INTERRUPT else None,
        tokens_after_cancel=probe.after_cancel,
        input_tokens=usage.input_tokens if usage else None,
        cached_tokens=usage.cached_tokens if usage else None,
        done=probe.done,
        error=error,
    )


def thinking_sample(protocol: str, budget: str, run: int, probe: ThinkingProbe) -> Sample:
    error = probe.error.message if probe.error else None
    if error is None and not probe.answer:
        error = f"no answer tokens arrived (the turn ended: {probe.done})"
    thought = probe.reasoning_tokens if probe.reasoning_tokens is not None else probe.thinking
    return Sample(protocol=protocol, kind=THINKING, run=run, ttft_ms=probe.ttft_ms, tokens=len(probe.answer),
                  tokens_per_s=probe.tokens_per_s, done=probe.done, error=error, budget=budget, thinking_tokens=thought)


def bench_words(message: str) -> str:
    """A turn's advice names `ask`'s --protocol flag; the bench's own flag is --protocols."""
    return re.sub(r";? ?use --protocol \w+\.?$", "", message).rstrip("; ")

"""`rtchat bench`: measure each protocol's latency against one model.

Kept empty on purpose: `rtchat.bench.stats` is pure and cheap, so the TUI's
status line can import it without pulling in the runner (httpx, the session).
Use `rtchat.bench.runner.run_bench` to run a benchmark.
"""

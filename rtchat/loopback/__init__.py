"""A key-free local server that speaks the providers' real wire formats.

rtchat's default provider, and what tests and benchmarks run against over real
sockets: deterministic built-in models (see `MODELS`) streamed as OpenAI Chat
Completions, OpenAI Responses, Anthropic Messages and Gemini SSE.
"""

from .scripts import MODELS

__all__ = ["MODELS", "LoopbackServer", "RequestRecord", "run_forever", "start_loopback"]
SERVER_NAMES = frozenset(__all__) - {"MODELS"}


def __getattr__(name: str):
    """The server's names, loaded when first asked for: the models' descriptions (`rtchat models`,
    the model picker) come without aiohttp."""
    if name in SERVER_NAMES:
        from . import server  # deferred: aiohttp (~150 ms), only where a server is started

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

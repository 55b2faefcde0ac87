"""A key-free local server that speaks the providers' real wire formats.

rtchat's default provider, and what tests and benchmarks run against over real
sockets: deterministic built-in models (see `MODELS`) streamed as OpenAI Chat
Completions, OpenAI Responses, Anthropic Messages and Gemini SSE.
"""

from .scripts import MODELS
from .server import LoopbackServer, RequestRecord, run_forever, start_loopback

__all__ = ["MODELS", "LoopbackServer", "RequestRecord", "run_forever", "start_loopback"]

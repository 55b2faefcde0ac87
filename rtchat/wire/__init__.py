"""Wire formats: pure request builders and stream decoders, one module each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rtchat.wire import anthropic, azure, gemini, openai_chat, openai_responses
from rtchat.wire.base import HttpRequest, RequestOptions, StreamDecoder


@dataclass(frozen=True)
class WireFormat:
    name: str
    build_request: Callable[..., HttpRequest]
    decoder: Callable[[], StreamDecoder]


WIRES: dict[str, WireFormat] = {
    "openai_chat": WireFormat("openai_chat", openai_chat.build_request, openai_chat.ChatCompletionsDecoder),
    "openai_responses": WireFormat("openai_responses", openai_responses.build_request, openai_responses.ResponsesDecoder),
    "azure_chat": WireFormat("azure_chat", azure.build_request, openai_chat.ChatCompletionsDecoder),
    "anthropic": WireFormat("anthropic", anthropic.build_request, anthropic.MessagesDecoder),
    "gemini": WireFormat("gemini", gemini.build_request, gemini.GeminiDecoder),
}

__all__ = ["WIRES", "WireFormat", "HttpRequest", "RequestOptions", "StreamDecoder"]

"""Azure OpenAI: the OpenAI wire formats at Azure's addresses, with Azure's key header.

Azure names the deployment in the path (or, for Realtime, the query), wants the
`api-version` query parameter on every request, and takes the key as `api-key`
(never `Authorization: Bearer`). The bodies and streams are OpenAI's, so this
module only rewrites where a request goes and how it authenticates. Pure.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from rtchat.conversation import Conversation
from rtchat.target import key_headers
from rtchat.wire import openai_chat
from rtchat.wire.base import HttpRequest, RequestOptions


def chat_url(base_url: str, deployment: str, api_version: str) -> str:
    """`https://RES.openai.azure.com` -> `.../openai/deployments/D/chat/completions?api-version=V`."""
    return f"{base_url.rstrip('/')}/openai/deployments/{quote(deployment, safe='')}/chat/completions?{urlencode({'api-version': api_version})}"


def realtime_query(deployment: str, api_version: str) -> str:
    """The Realtime socket's query: Azure names the deployment here, not in the path."""
    return urlencode({"api-version": api_version, "deployment": deployment})


REALTIME_PATH = "/openai/realtime"


def build_request(base_url: str, key: str | None, model: str, conversation: Conversation, options: RequestOptions) -> HttpRequest:
    """Chat Completions as OpenAI builds it, sent to the deployment with `api-key`."""
    request = openai_chat.build_request(base_url, None, model, conversation, options)
    headers = {**request.headers, **key_headers("azure_chat", key)}
    return HttpRequest(chat_url(base_url, model, options.api_version), headers, request.body)

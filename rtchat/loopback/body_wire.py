"""What the JSON-body wire formats share: the body names the model and asks to stream.

(Gemini is the exception: the model is in the URL and streaming is a different method.)
"""

from __future__ import annotations

from aiohttp import web


class BodyNamedModel:
    def model_name(self, request: web.Request, body: dict) -> str:
        return body.get("model", "")

    def wants_stream(self, request: web.Request, body: dict) -> bool:
        return bool(body.get("stream"))

"""`--debug`: a wire log for bug reports, with every credential taken out.

Frames, timings and headers go to a file in the state dir. Credential headers
are replaced, `key=` query parameters are replaced, and any known key that
still appears anywhere in a line is replaced before the line is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtchat.config import state_dir
from rtchat.secrets import redact

SECRET_HEADERS = {"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie", "set-cookie", "proxy-authorization", "openai-organization"}


class WireLog:
    def __init__(self, path: Path, secrets: set[str] | None = None) -> None:
        self.path = path
        self.secrets = {s for s in (secrets or set()) if s and len(s) >= 4}
        self.started = time.perf_counter()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    @classmethod
    def create(cls) -> "WireLog":
        name = time.strftime("wire-%Y%m%d-%H%M%S.log")
        return cls(state_dir() / "logs" / name)

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            self.secrets.add(secret)

    def headers(self, headers: Any) -> dict[str, str]:
        items = headers.items() if hasattr(headers, "items") else headers
        return {k: ("[redacted]" if k.lower() in SECRET_HEADERS else v) for k, v in items}

    def write(self, kind: str, text: str) -> None:
        elapsed = (time.perf_counter() - self.started) * 1000
        line = redact(f"{elapsed:10.2f} ms  {kind:9} {text}", *self.secrets)
        self._file.write(line.replace("\n", "\\n") + "\n")
        self._file.flush()

    def request(self, method: str, url: str, headers: Any, body: Any) -> None:
        self.write("request", f"{method} {url} headers={self.headers(headers)} body={body!r}"[:20000])

    def response(self, status: int, headers: Any) -> None:
        self.write("response", f"{status} headers={self.headers(headers)}")

    def frame(self, data: bytes | str) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        self.write("frame", text[:20000])

    def close(self) -> None:
        self._file.close()

"""`--debug`: a wire log for bug reports, with every credential taken out.

Frames, timings and headers go to a file in the state dir. Credential headers
are replaced, `key=` query parameters are replaced, and any known key that
still appears anywhere in a line is replaced before the line is written.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Any

from rtchat.config import state_dir
from rtchat.private_files import private_file, private_folder
from rtchat.secrets import redact

_RUNS = itertools.count(1)  # logs made by this process: two in one second get two files
SECRET_HEADERS = {"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie", "set-cookie", "proxy-authorization", "openai-organization"}


class WireLog:
    def __init__(self, path: Path, secrets: set[str] | None = None) -> None:
        self.path = path
        self.secrets = {s for s in (secrets or set()) if s and len(s) >= 4}
        self.started = time.perf_counter()
        private_folder(path.parent)  # every request is in it: only its owner reads it
        private_file(path)
        self._file = path.open("a", encoding="utf-8")

    @classmethod
    def create(cls) -> "WireLog":
        """A new log named by the second, the process and a counter: runs never share a file."""
        name = time.strftime("wire-%Y%m%d-%H%M%S") + f"-{os.getpid()}-{next(_RUNS)}.log"
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

    def socket_frame(self, direction: str, data: bytes | str) -> None:
        """A WebSocket or data-channel message, `direction` "sent" or "received"; binary as its size."""
        text = f"<{len(data)} bytes of binary>" if isinstance(data, bytes) else data
        self.write(f"ws {direction}", text[:20000])

    def socket_event(self, text: str) -> None:
        """A socket opened (its address, headers redacted) or closed (code and reason)."""
        self.write("ws", text)

    def close(self) -> None:
        self._file.close()

"""The loopback server in its own process for the bench.

In-process, the server's token pacing would share the client's event loop and
the bench would measure the two fighting for it; a separate process gives the
protocol's physical floor on this machine, as a remote server would.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

READY_PREFIX = "loopback server on "


@asynccontextmanager
async def loopback_process(start_timeout: float = 20.0) -> AsyncIterator[str]:
    """Run `rtchat serve --port 0` and yield its base URL (http://127.0.0.1:PORT).

    `-P`: the current folder is not put first on the path, so a folder named `rtchat`
    there cannot stand in for the package. `--with-parent`: the child watches its
    stdin, a pipe from this process, and ends when it closes, which happens however
    this process ends (even SIGKILL), so no server is left orphaned."""
    errors = tempfile.TemporaryFile()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-m", "rtchat", "serve", "--port", "0", "--with-parent",
        stdout=asyncio.subprocess.PIPE, stderr=errors, stdin=asyncio.subprocess.PIPE,
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), start_timeout)
        text = line.decode(errors="replace").strip()
        if not text.startswith(READY_PREFIX):
            errors.seek(0)
            said = errors.read()[-2000:].decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"the loopback server did not start: {said[-1] if said else text or 'no output'}")
        yield text[len(READY_PREFIX):].rstrip("/")
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        errors.close()
